"""Local mode: the synthesized service on one machine, with moto as in-memory AWS."""
