"""spotcheck: a GraphQL API server for 双随机、一公开 joint market supervision."""

__version__ = "0.1.0"
