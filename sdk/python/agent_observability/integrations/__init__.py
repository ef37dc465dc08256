"""Integrations with LLM client libraries and frameworks; each imports its library lazily."""
