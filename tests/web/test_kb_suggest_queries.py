"""The intake form's suggestions cost a fixed number of queries, whatever their number."""

from tests.api.test_query_counts import counted


def test_suggestions_do_not_query_once_per_article(world, app):
    for i in range(6):
        world.article(status="published", title=f"社保卡丢失怎么补办 {i}")
    client = app.test_client()
    assert client.post("/login", data={"username": "operator", "password": "password-123"}).status_code == 302
    client.get("/ui/kb/suggest?text=社保卡丢失&limit=1")  # warm
    with counted(app) as one:
        assert len(client.get("/ui/kb/suggest?text=社保卡丢失&limit=1").json["results"]) == 1
    with counted(app) as six:
        results = client.get("/ui/kb/suggest?text=社保卡丢失&limit=6").json["results"]
    assert len(results) == 6 and all(r["answer"].startswith("社保卡丢失后") for r in results)
    assert len(six) == len(one), (len(one), len(six))
