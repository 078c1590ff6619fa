"""The demo seed's knowledge base: enough published articles on the common topics, searchable, seeded once."""

from sqlalchemy import func, select

from hotline.extensions import db
from knowledge_base.models import Article, ArticleVersion, Status

# The 12345 topics the demo knowledge base covers → the category codes they are filed under.
TOPICS = {
    "social insurance": "SOCIAL.",
    "housing fund": "HOUSE.FUND",
    "household registration": "HOUSEHOLD.",
    "business licences": "MARKET.LICENCE",
    "elderly cards": "CIVIL.ELDERLY",
    "utilities": "UTILITY.",
    "traffic": "TRAFFIC.",
    "property": "HOUSE.PROPERTY",
}


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Article)),
            db.session.scalar(select(func.count()).select_from(ArticleVersion)),
        )


def _search(client, token, q) -> list[dict]:
    r = client.get("/api/v1/kb/search", query_string={"q": q}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.get_json()
    return r.json["results"]


def test_demo_seed_loads_a_searchable_knowledge_base_once(demo):
    app, _ = demo  # seeded once per session (tests/conftest.py): its database and index
    runner = app.test_cli_runner()
    with app.app_context():
        published = db.session.scalars(select(Article).where(Article.status == Status.PUBLISHED)).all()
        assert len(published) >= 60
        assert all(a.external_id.startswith("demo-") for a in published)
        codes = [a.category.code for a in published if a.category is not None]
    for topic, prefix in TOPICS.items():
        assert any(code.startswith(prefix) for code in codes), topic

    # An operator's questions, as a citizen asks them, find the demo articles.
    client = app.test_client()
    r = client.post("/api/v1/auth/token", json={"username": "op1", "password": "demo-12345"})
    assert r.status_code == 200, r.get_json()
    token = r.json["token"]
    top = _search(client, token, "公积金提取需要什么条件")[0]
    assert top["external_id"].startswith("demo-") and "公积金提取" in top["title"]
    top = _search(client, token, "我公司受疫情影响交不上社保了怎么办")[0]
    assert top["external_id"].startswith("demo-") and "社保" in top["title"]

    counts = _counts(app)
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert "knowledge-base articles added: 0" in second.output
    assert _counts(app) == counts
