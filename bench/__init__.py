"""`make bench`: latency and query counts of key pages, on a throwaway demo database."""
