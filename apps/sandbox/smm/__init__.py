"""The sandbox's fake SMM panels (plugsmms, smmflare, smmstone): external-apis.md §3."""
