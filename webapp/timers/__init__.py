"""BPMN timers fired by the scheduler: due times kept in the database, claimed by beat, fired by a job."""
