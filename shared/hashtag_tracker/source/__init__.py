"""The TikTok data source: provider interface, typed results and errors, the Scavio client."""
