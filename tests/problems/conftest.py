from tests.tutoring.fake import fake_llm  # noqa: F401 - the test Ollama server fixture
