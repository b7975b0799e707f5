"""Where an audit reads what it judges: the git backup repository `provnet net backup`
keeps (:mod:`checks.sources.backups`)."""
