"""The demo problem set that `make run` loads: a dozen STEM problems with checked answer keys, and
four randomised ones (each student gets their own numbers; docs/problem-format.md, "Templates")."""

from __future__ import annotations

DEMO_SET = {
    "key": "demo-foundations",
    "title": "Foundations: algebra, calculus, linear algebra and physics",
    "description": "A mixed warm-up set. Ask the tutor for a hint when you get stuck.",
    "problems": [
        {
            "key": "alg-1",
            "title": "Solve a linear equation",
            "statement": "Solve for $x$: $3x + 7 = 22$.",
            "answer": "5",
            "answer_type": "number",
            "topic": "Algebra",
            "difficulty": 1,
            "hints": [
                "What could you do to both sides to get the $3x$ on its own?",
                "Subtract 7, then divide by 3.",
            ],
            "checker_options": {"accept_bare_value": True},
        },
        {
            "key": "alg-2",
            "title": "Roots of a quadratic",
            "statement": "Find all real solutions of $x^2 - 5x + 6 = 0$. Give them as a set, e.g. $\\{a, b\\}$.",
            "answer": "{2, 3}",
            "answer_type": "set",
            "topic": "Algebra",
            "difficulty": 1,
            "hints": ["Can you write $x^2 - 5x + 6$ as a product of two brackets?"],
        },
        {
            "key": "alg-3",
            "title": "Simplify a fraction",
            "statement": "Simplify $\\dfrac{x^2 - 9}{x - 3}$ for $x \\neq 3$.",
            "answer": "x + 3",
            "answer_type": "expression",
            "topic": "Algebra",
            "difficulty": 2,
            "hints": ["$x^2 - 9$ is a difference of two squares."],
        },
        {
            "key": "alg-4",
            "title": "An inequality",
            "statement": "Solve $2x - 4 > 6$ and write the answer as an interval.",
            "answer": "(5, oo)",
            "answer_type": "interval",
            "topic": "Algebra",
            "difficulty": 2,
            "hints": ["Treat it like an equation: add 4 to both sides first."],
        },
        {
            "key": "calc-1",
            "title": "A derivative",
            "statement": "Differentiate $f(x) = x^3 \\sin x$.",
            "answer": "3*x^2*sin(x) + x^3*cos(x)",
            "answer_type": "expression",
            "topic": "Calculus",
            "difficulty": 2,
            "hints": ["This is a product of two functions: use the product rule."],
        },
        {
            "key": "calc-2",
            "title": "A definite integral",
            "statement": "Evaluate $\\displaystyle\\int_0^1 (2x + 1)\\,dx$.",
            "answer": "2",
            "answer_type": "number",
            "topic": "Calculus",
            "difficulty": 1,
            "hints": ["Find an antiderivative of $2x + 1$, then evaluate it at 1 and at 0."],
        },
        {
            "key": "calc-3",
            "title": "A limit",
            "statement": "Find $\\displaystyle\\lim_{x \\to 0} \\frac{\\sin 3x}{x}$.",
            "answer": "3",
            "answer_type": "number",
            "topic": "Calculus",
            "difficulty": 2,
            "hints": [
                "You may know $\\lim_{u \\to 0} \\frac{\\sin u}{u} = 1$. Can you make the fraction look like that?"
            ],
        },
        {
            "key": "la-1",
            "title": "A determinant",
            "statement": "Compute $\\det \\begin{pmatrix} 2 & 1 \\\\ 5 & 3 \\end{pmatrix}$.",
            "answer": "1",
            "answer_type": "number",
            "topic": "Linear algebra",
            "difficulty": 1,
            "hints": ["For a $2\\times2$ matrix the determinant is $ad - bc$."],
        },
        {
            "key": "la-2",
            "title": "A matrix product",
            "statement": (
                "Compute $AB$ where $A = \\begin{pmatrix} 1 & 2 \\\\ 0 & 1 \\end{pmatrix}$ and "
                "$B = \\begin{pmatrix} 3 & 0 \\\\ 1 & 2 \\end{pmatrix}$. Type it as [[a, b], [c, d]]."
            ),
            "answer": "[[5, 4], [1, 2]]",
            "answer_type": "matrix",
            "topic": "Linear algebra",
            "difficulty": 2,
            "hints": ["Each entry is a row of $A$ times a column of $B$."],
        },
        {
            "key": "phys-1",
            "title": "Average speed",
            "statement": "A cyclist rides 12 km in 30 minutes. What is her average speed in km/h?",
            "answer": "24 km/h",
            "answer_type": "quantity",
            "units": "km/h",
            "tolerance": 0.01,
            "topic": "Physics",
            "difficulty": 1,
            "hints": ["Speed is distance divided by time. How many hours is 30 minutes?"],
        },
        {
            "key": "phys-2",
            "title": "Free fall",
            "statement": (
                "A stone is dropped from rest and falls for 3.0 s. Taking $g = 9.8\\ \\text{m/s}^2$ and ignoring "
                "air resistance, how far does it fall? Give your answer with units."
            ),
            "answer": "44.1 m",
            "answer_type": "quantity",
            "units": "m",
            "tolerance": 0.01,
            "topic": "Physics",
            "difficulty": 2,
            "hints": ["Starting from rest, the distance fallen is $\\tfrac12 g t^2$."],
        },
        {
            "key": "phys-3",
            "title": "Kinetic energy",
            "statement": "What is the kinetic energy of a 2 kg ball moving at 3 m/s? Give your answer with units.",
            "answer": "9 J",
            "answer_type": "quantity",
            "units": "J",
            "tolerance": 0.01,
            "topic": "Physics",
            "difficulty": 1,
            "hints": ["Kinetic energy is $\\tfrac12 m v^2$."],
        },
        {
            # A multi-part problem (issue 16): the stem and both parts on one page, each part answered on
            # its own; the tutor helps with one part at a time and reads the stem with it.
            "key": "phys-4",
            "title": "A ball thrown up",
            "statement": "A ball is thrown straight up at $20$ m/s. Take $g = 10\\ \\text{m/s}^2$ and ignore air resistance.",
            "topic": "Physics",
            "difficulty": 2,
            "parts": [
                {
                    "key": "a",
                    "statement": "How long does it take to reach the top?",
                    "answer": "2 s",
                    "answer_type": "quantity",
                    "units": "s",
                    "tolerance": 0.01,
                    "hints": ["At the top the ball stops for an instant. What is its speed there?"],
                },
                {
                    "key": "b",
                    "statement": "How high does it go?",
                    "answer": "20 m",
                    "answer_type": "quantity",
                    "units": "m",
                    "tolerance": 0.01,
                    "hints": ["It slows down evenly. What is its average speed on the way up?"],
                },
            ],
        },
        *[
            # Randomised (issue 13): tests/variants/test_demo.py checks their keys on many variants.
            {
                "key": "rand-alg",
                "title": "Your own linear equation",
                "statement": "Solve for $x$: ${a}x + {b} = {c}$.",
                "template": {
                    "variables": {
                        "a": {"range": [2, 9]},
                        "x0": {"range": [-9, 9]},
                        "b": {"range": [1, 20]},
                        "c": "a*x0 + b",
                    },
                    "constraints": ["x0 != 0"],
                },
                "answer": "{x0}",
                "answer_type": "number",
                "topic": "Algebra",
                "difficulty": 1,
                "hints": [
                    "What could you do to both sides to get ${a}x$ on its own?",
                    "Subtract {b} from both sides, then divide by {a}.",
                ],
                "solution": "${a}x = {c} - {b} = {=c - b}$, so $x = {=c - b}/{a} = {x0}$.",
                "checker_options": {"accept_bare_value": True},
            },
            {
                "key": "rand-calc",
                "title": "Your own derivative",
                "statement": "Differentiate $f(x) = {a}x^{n} + {b}x$.",
                "template": {
                    "variables": {"a": {"range": [2, 9]}, "n": {"range": [2, 6]}, "b": {"range": [2, 12]}}
                },
                "answer": "{a}*{n}*x^({n}-1) + {b}",
                "answer_type": "expression",
                "topic": "Calculus",
                "difficulty": 1,
                "hints": ["Differentiate each term on its own: what is the derivative of $x^{n}$?"],
                "solution": "$f'(x) = {a} \\cdot {n} x^{{=n-1}} + {b} = {=a*n}x^{{=n-1}} + {b}$.",
            },
            {
                "key": "rand-phys",
                "title": "Your own thrown ball",
                "statement": (
                    "A ball is thrown straight up at {v0} m/s. Taking $g = 9.8\\ \\text{m/s}^2$ and ignoring "
                    "air resistance, how high above the point of release is it after {t} s? Give your answer "
                    "with units."
                ),
                "template": {
                    "variables": {"v0": {"range": [12, 30]}, "t": {"range": [0.5, 2.5, 0.5]}, "g": 9.8},
                    "constraints": ["v0*t - g*t^2/2 > 1"],
                },
                "answer": "{v0}*{t} - 1/2*{g}*{t}^2 m",
                "answer_type": "quantity",
                "units": "m",
                "tolerance": 0.01,
                "topic": "Physics",
                "difficulty": 2,
                "hints": ["The height is $h = v_0 t - \\tfrac12 g t^2$. What are $v_0$ and $t$ here?"],
                "solution": "$h = {v0} \\times {t} - \\tfrac12 \\times 9.8 \\times {t}^2 = {=v0*t - g*t^2/2}$ m.",
            },
            {
                "key": "rand-la",
                "title": "Your own determinant",
                "statement": ("Compute $\\det \\begin{pmatrix} {a} & {b} \\\\ {c} & {d} \\end{pmatrix}$."),
                "template": {
                    "variables": {
                        "a": {"range": [1, 9]},
                        "b": {"range": [1, 9]},
                        "c": {"range": [1, 9]},
                        "d": {"range": [1, 9]},
                    },
                    "constraints": ["a*d != b*c"],
                },
                "answer": "{a}*{d} - {b}*{c}",
                "answer_type": "number",
                "topic": "Linear algebra",
                "difficulty": 1,
                "hints": ["For a $2\\times2$ matrix the determinant is $ad - bc$."],
                "solution": "${a} \\cdot {d} - {b} \\cdot {c} = {=a*d - b*c}$.",
            },
        ],
    ],
}
