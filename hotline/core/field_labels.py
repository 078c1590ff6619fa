"""The Chinese label of every field a person can get wrong, for the messages they read.

A refused form says "分类：不能为空", never "category：不能为空": ``to_invalid_input``
names the field by its label here. A field missing from this table is named "该项",
never by its code (``tests/web/test_field_labels.py`` checks every request schema's
fields against it).
"""

from __future__ import annotations

FIELD_LABELS: dict[str, str] = {
    # tickets
    "caller_phone": "来电号码",
    "caller_name": "来电人姓名",
    "request_type": "诉求类型",
    "category": "分类",
    "area": "所属区域",
    "address": "地址",
    "content": "内容",
    "urgency": "紧急程度",
    "channel": "来源渠道",
    "answer": "答复内容",
    "article_id": "知识条目",
    "lead_unit": "主办单位",
    "assist_units": "协办单位",
    "reason": "理由",
    "hours": "延期时长",
    "approve": "审批结果",
    "satisfaction": "满意度",
    "resolved": "是否解决",
    "into": "合并到工单编号",
    "note": "说明",
    "intent": "操作",
    "number": "工单编号",
    "phone_last4": "来电号码后四位",
    "date_from": "开始日期",
    "date_to": "结束日期",
    "sort": "排序方式",
    "overdue": "仅看超时",
    "status": "状态",
    "type": "诉求类型",
    "unit": "单位",
    "q": "搜索内容",
    "text": "内容",
    "page": "页码",
    "per_page": "每页条数",
    "limit": "条数",
    "from": "开始日期",
    "from_": "开始日期",
    "to": "结束日期",
    "month": "月份",
    "date": "日期",
    "period": "期间",
    "ticket": "工单编号",
    "kind": "类别",
    # knowledge base
    "title": "标题",
    "body": "正文",
    "keywords": "关键词",
    "owner_unit": "负责单位",
    "effective_on": "施行日期",
    "review_by": "复审期限",
    "external_id": "外部编号",
    "terms": "同义词",
    # supervision, notifications, reports
    "due_at": "整改期限",
    "response": "整改情况",
    "color": "牌色",
    "template": "消息模板",
    "subject": "标题",
    "scope": "范围",
    "figure": "指标",
    "part": "部分",
    "reason_id": "免责理由",
    "decision_note": "审批意见",
    # units, users, categories, policies (admin)
    "code": "代码",
    "name": "名称",
    "level": "层级",
    "parent": "上级",
    "is_active": "是否启用",
    "username": "用户名",
    "password": "密码",
    "display_name": "姓名",
    "role": "角色",
    "phone": "电话号码",
    "email": "电子邮箱",
    "notify_phone": "通知手机",
    "notify_email": "通知邮箱",
    "head_name": "负责人姓名",
    "head_phone": "负责人电话",
    "default_lead_unit": "默认主办单位",
    "sort_order": "排序",
    "accept_hours": "签收时限（小时）",
    "reply_hours": "答复时限（小时）",
    "warn_ratio": "预警比例",
    "red_ratio": "红牌比例",
    "clock_mode": "计时方式",
    "working_hours": "工作时段",
    "is_working": "是否工作日",
    "year": "年份",
    "contact_phone": "联系电话",
    "resolution": "处理说明",
    "description": "说明",
    "weight_on_time": "按期办结权重",
    "weight_satisfaction": "满意率权重",
    "weight_resolution": "解决率权重",
    "weight_accepted": "按时签收权重",
    "yellow_card_penalty": "黄牌扣分",
    "red_card_penalty": "红牌扣分",
    "include_inactive": "含已停用",
    "object_type": "对象类型",
    "object_id": "对象编号",
    "actor": "操作人",
    "action": "操作",
    "case": "监察案件",
    "format": "格式",
    "group": "分组",
    "id": "编号",
    "created_at": "创建时间",
}


def field_label(field: str | None) -> str:
    """``keywords.2`` → 关键词 (第 3 项); an unknown field → 该项, never its code."""
    if not field:
        return ""
    head, _, rest = field.partition(".")
    label = FIELD_LABELS.get(head, "该项")
    if rest.isdigit():
        return f"{label}（第 {int(rest) + 1} 项）"
    return label
