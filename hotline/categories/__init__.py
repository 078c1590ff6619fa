"""Request categories (诉求分类): a two-level tree, e.g. 社会保障 → 养老保险."""
