"""The officer workspace (cán bộ): login, worklist, work items."""
