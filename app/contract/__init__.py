"""What the interpreter (`workflows`), the activities (`activities`) and the services agree
on, so that neither of the first two imports the other: an action's input and answer
(`actions`), the one list of failure types activities raise and nodes end with
(`failures`), and the search attributes every run carries (`search_attributes`)."""
