"""用户账号 platform accounts and roles: types, queries, mutations."""
