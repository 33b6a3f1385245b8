"""Fake BSC, Tron, Solana and Aptos endpoints over one table of transfers (ChainTransfer)."""
