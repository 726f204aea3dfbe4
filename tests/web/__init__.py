"""Tests of the officials' web application: pages, forms, access, exports, and a real browser."""
