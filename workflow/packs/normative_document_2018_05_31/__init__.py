"""行政规范性文件制定和管理 (normative-document, version 2018-05-31): GB37 and GB115 as published."""
