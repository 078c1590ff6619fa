"""The suggestion model's arrays answer exactly as scikit-learn's fitted objects (no database)."""

import numpy as np
import pytest
from scipy.sparse import hstack

from hotline.routing import learning

TEXTS = {
    "LIGHT": ["路灯不亮", "路灯坏了", "路灯杆倒了", "路灯整夜不亮", "小区路灯闪烁"],
    "FOOD": ["超市卖过期食品", "餐馆卫生差", "牛奶变质了", "食品没有标签", "饭店有老鼠"],
    "PENSION": ["养老金没到账", "退休工资推迟", "养老保险查询", "社保缴费年限不对", "养老金资格认证"],
}


@pytest.mark.parametrize("classes", [["LIGHT", "FOOD", "PENSION"], ["LIGHT", "FOOD"]])
@pytest.mark.parametrize("per_class", [5, 2])  # calibrated (3 or more a class), else a softmax
def test_compiled_model_matches_scikit_learn(classes, per_class):
    kept = [learning.Example(text=f"{t}，请处理", category=c) for c in classes for t in TEXTS[c][:per_class]]
    trained = learning.Trained(categories=sorted(classes))
    vectorizers, model = learning._fit_categories(trained, kept)
    for text in ["我家门口路灯不亮", "买到过期牛奶", "养老金", "完全无关的话", ""]:
        x = hstack([v.transform([text]) for v in vectorizers.values()]).tocsr()
        ours = trained.compiled.probabilities(text)
        if per_class >= 3:
            assert np.allclose(ours, model.predict_proba(x)[0], atol=1e-5)
        else:
            scores = np.atleast_1d(model.decision_function(x)[0])
            assert np.argmax(ours) == (np.argmax(scores) if len(classes) > 2 else int(scores[0] > 0))
        assert abs(ours.sum() - 1) < 1e-9
    ranked = trained.category_scores("晚上路灯不亮")
    assert ranked[0][0] == "LIGHT" and [c for c, _ in ranked] == [c for c, _ in sorted(ranked, key=lambda r: -r[1])]


def test_units_back_off_from_the_area_and_returns_count_against():
    examples = [
        learning.Example(text="路灯", category="LIGHT", unit="CITY-LIGHTS", area="D1"),
        learning.Example(text="路灯", category="LIGHT", unit="CITY-LIGHTS", area="D2"),
        learning.Example(text="路灯", category="LIGHT", unit="D1-TOWN", area="D1"),
        learning.Example(text="路灯", category="LIGHT", unit="D1-TOWN", area="D1"),
        learning.Example(text="路灯", category="LIGHT", unit="D2-TOWN", area="D2"),
        learning.Example(text="路灯", category="LIGHT", unit="D2-TOWN", area="D2", kept=False),
    ]
    trained = learning.train(examples)
    city = trained.shares("LIGHT", None)
    assert city == {"CITY-LIGHTS": 0.5, "D1-TOWN": 0.5}  # D2-TOWN: one kept, one returned (−2)
    d1 = trained.shares("LIGHT", "D1")
    assert d1["D1-TOWN"] > d1["CITY-LIGHTS"] and abs(sum(d1.values()) - 1) < 1e-9
    assert trained.shares("LIGHT", "D9") == city and trained.shares("OTHER", None) == {}
    assert trained.unit_scores([("LIGHT", 1.0)], "D1")[0][0] == "D1-TOWN"
    assert trained.category_scores("路灯") == [("LIGHT", 1.0)]  # one category: no classifier
