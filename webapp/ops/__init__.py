"""Operations pages for administrators: /metrics (Prometheus) and the failed jobs list."""
