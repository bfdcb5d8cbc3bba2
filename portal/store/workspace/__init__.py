"""Staff workspace tables: assignments, sessions, sign-in attempts, answers, publications, groups, votes."""
