"""The HTTP entrypoint: Starlette with strawberry GraphQL at /graphql."""
