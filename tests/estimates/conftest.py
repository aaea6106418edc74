from tests.queue.conftest import Q, q  # noqa: F401  (the queue helpers, shared)
