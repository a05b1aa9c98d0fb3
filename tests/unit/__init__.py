"""Unit tests of mdeprereq_engine: plain pytest, no Salt."""
