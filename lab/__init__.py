"""The province twin: simulated devices that keep state, for the demo, tests and rehearsals."""
