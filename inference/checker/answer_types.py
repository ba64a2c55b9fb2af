"""The answer types and answer forms a problem's key can have: the one list the checker, the importers and the
problem model use (tests/checker/test_answer_types.py keeps the model's choices equal to it).
Pure Python, so the web process and the upload reader import it without SymPy."""

ANSWER_TYPES = frozenset(
    {"number", "expression", "equation", "set", "interval", "matrix", "quantity", "choice", "text", "tuple"}
)

# What a problem's `form` option may ask for besides the value (comparators/form.py).
FORMS = ("any", "simplified", "expanded", "factored", "reduced_fraction", "decimal", "exact")
