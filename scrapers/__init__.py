"""giaoban's Scrapy project: one generic portal spider driven by sources files (data)."""
