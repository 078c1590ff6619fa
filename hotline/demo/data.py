"""The demo city's reference data and sample calls. Written for this project."""

CITY = ("CITY", "示范市人民政府", "city", None, "0757-12345000")

DEPARTMENTS = [
    ("HRSS", "市人力资源和社会保障局", "0757-12345101"),
    ("HPF", "市住房公积金管理中心", "0757-12345102"),
    ("SAMR", "市市场监督管理局", "0757-12345103"),
    ("URBAN", "市城市管理和综合执法局", "0757-12345104"),
    ("PSB", "市公安局户政管理处", "0757-12345105"),
    ("TRANSPORT", "市交通运输局", "0757-12345106"),
    ("HOUSING", "市住房和城乡建设局", "0757-12345107"),
    ("CIVIL", "市民政局", "0757-12345108"),
    ("ENV", "市生态环境局", "0757-12345109"),
    ("WATER", "市供水有限公司", "0757-12345110"),
]

DISTRICTS = [
    ("DC", "东城区人民政府", "0757-12345201"),
    ("XC", "西城区人民政府", "0757-12345202"),
    ("NH", "南湖区人民政府", "0757-12345203"),
]

TOWNS = [
    ("DC-01", "东城区东湖街道办事处", "DC"),
    ("DC-02", "东城区龙门镇人民政府", "DC"),
    ("XC-01", "西城区金桥街道办事处", "XC"),
    ("XC-02", "西城区白沙镇人民政府", "XC"),
    ("NH-01", "南湖区湖滨街道办事处", "NH"),
    ("NH-02", "南湖区新港镇人民政府", "NH"),
]

# (code, name, [(code, name, default lead unit or None)])
CATEGORIES = [
    (
        "SOCIAL",
        "社会保障",
        [
            ("SOCIAL.PENSION", "养老保险", "HRSS"),
            ("SOCIAL.MEDICAL", "医疗保险", "HRSS"),
            ("SOCIAL.EMPLOY", "就业创业", "HRSS"),
            ("SOCIAL.WAGE", "劳动保障与欠薪", "HRSS"),
        ],
    ),
    (
        "HOUSE",
        "住房城建",
        [
            ("HOUSE.FUND", "住房公积金", "HPF"),
            ("HOUSE.PROPERTY", "物业管理", "HOUSING"),
            ("HOUSE.CONSTRUCTION", "建筑施工", "HOUSING"),
        ],
    ),
    (
        "MARKET",
        "市场监管",
        [
            ("MARKET.CONSUMER", "消费维权", "SAMR"),
            ("MARKET.LICENCE", "营业执照", "SAMR"),
            ("MARKET.FOOD", "食品安全", "SAMR"),
        ],
    ),
    (
        "URBAN",
        "城市管理",
        [
            ("URBAN.NOISE", "噪声扰民", "ENV"),
            ("URBAN.STREET", "占道经营", "URBAN"),
            ("URBAN.SANITATION", "环境卫生", "URBAN"),
        ],
    ),
    (
        "TRAFFIC",
        "交通出行",
        [
            ("TRAFFIC.BUS", "公交线路", "TRANSPORT"),
            ("TRAFFIC.TAXI", "出租车与网约车", "TRANSPORT"),
            ("TRAFFIC.ROAD", "道路设施", "TRANSPORT"),
        ],
    ),
    (
        "HOUSEHOLD",
        "户籍证照",
        [
            ("HOUSEHOLD.REG", "户口迁移", "PSB"),
            ("HOUSEHOLD.RESIDENCE", "居住证", "PSB"),
            ("HOUSEHOLD.ID", "身份证", "PSB"),
        ],
    ),
    (
        "UTILITY",
        "水电气",
        [
            ("UTILITY.WATER", "供水", "WATER"),
            ("UTILITY.POWER", "供电", None),
            ("UTILITY.GAS", "燃气", None),
        ],
    ),
    (
        "CIVIL",
        "民政服务",
        [
            ("CIVIL.ELDERLY", "老年人优待", "CIVIL"),
            ("CIVIL.AID", "社会救助", "CIVIL"),
        ],
    ),
    (
        "CONDUCT",
        "行政效能",
        [
            ("CONDUCT.ATTITUDE", "工作作风", None),
            ("CONDUCT.EFFICIENCY", "办事效率", None),
        ],
    ),
    (
        "OTHER",
        "其他",
        [
            ("OTHER.GENERAL", "其他事项", None),
        ],
    ),
]

# (username, display name, role, unit code)
USERS = [
    ("admin", "系统管理员", "admin", None),
    ("op1", "王丽", "operator", None),
    ("op2", "李娜", "operator", None),
    ("disp1", "陈强", "dispatcher", None),
    ("sup1", "刘敏", "supervisor", None),
    ("kb1", "赵静", "kb_editor", None),
    ("hrss-b", "孙凯", "unit_staff", "HRSS"),
]

# Names of the demo units' staff, one per unit in order (departments, districts, towns).
STAFF_NAMES = [
    "周建国",
    "吴晓燕",
    "郑海涛",
    "冯丽华",
    "陈志远",
    "褚文静",
    "卫国强",
    "蒋雪梅",
    "沈立新",
    "韩玉兰",
    "杨春生",
    "朱美玲",
    "秦振华",
    "尤佳",
    "许家豪",
    "何秀英",
    "吕明",
    "施红梅",
    "张德胜",
]

# Sample calls: (request type, category, area, address, content, caller name)
CALLS = [
    (
        "consultation",
        "SOCIAL.PENSION",
        "DC",
        None,
        "我今年刚满60岁，在本市缴了18年养老保险，想问一下办理退休领取养老金需要带哪些材料，去哪里办？",
        "张先生",
    ),
    (
        "help",
        "SOCIAL.WAGE",
        "XC-02",
        "白沙镇工业大道18号",
        "我在白沙镇一家电子厂打工，老板已经拖欠我们二十多个工人三个月工资了，一直说下个月发，请政府帮忙追讨。",
        "李女士",
    ),
    (
        "complaint",
        "HOUSE.PROPERTY",
        "DC-01",
        "东湖街道翠苑小区5栋",
        "小区物业公司把地下车库的消防通道划成车位出租，多次反映都不处理，存在很大安全隐患。",
        "王先生",
    ),
    (
        "consultation",
        "HOUSE.FUND",
        "NH",
        None,
        "我准备在南湖区买首套房，想了解住房公积金贷款最高能贷多少，夫妻双方都缴存的话额度怎么算？",
        "陈女士",
    ),
    (
        "complaint",
        "URBAN.NOISE",
        "XC-01",
        "金桥街道滨江路与新华路交叉口工地",
        "金桥街道滨江路的建筑工地每天晚上十一点以后还在打桩，噪音很大，孩子根本睡不着觉。",
        "刘先生",
    ),
    (
        "report",
        "MARKET.FOOD",
        "NH-01",
        "湖滨街道湖滨路32号",
        "湖滨路一家快餐店后厨卫生很差，我亲眼看到过期的食材还在使用，希望市场监管部门去检查。",
        None,
    ),
    (
        "consultation",
        "MARKET.LICENCE",
        "DC",
        None,
        "我想在东城区开一家奶茶店，个体工商户营业执照怎么申请？可以网上办理吗？需要多长时间？",
        "赵女士",
    ),
    (
        "help",
        "UTILITY.WATER",
        "DC-02",
        "龙门镇龙山村三组",
        "龙山村三组从昨天下午开始停水，到现在还没有来水，也没有接到停水通知，老人小孩生活很困难。",
        "孙先生",
    ),
    (
        "suggestion",
        "TRAFFIC.BUS",
        "NH-02",
        "新港镇新港大道",
        "建议在新港大道增设一条直达市中心的公交线路，现在要转两次车，早高峰单程要一个半小时。",
        "周先生",
    ),
    (
        "complaint",
        "TRAFFIC.TAXI",
        "XC",
        "高铁站出租车候客区",
        "我在高铁站坐出租车，司机不打表，一口价要了八十元，平时打表只要三十多元。车牌号已记下。",
        "吴女士",
    ),
    (
        "consultation",
        "HOUSEHOLD.RESIDENCE",
        "XC-01",
        None,
        "我是外地来本市工作的，已经交了半年社保，请问办理居住证需要什么条件和材料？",
        "郑先生",
    ),
    (
        "consultation",
        "HOUSEHOLD.REG",
        "DC",
        None,
        "孩子出生在本市，父母一方是本市户籍，新生儿上户口要准备哪些材料，在哪个派出所办？",
        "冯女士",
    ),
    (
        "consultation",
        "CIVIL.ELDERLY",
        "NH-01",
        None,
        "我父亲今年70岁，想办一张老年人优待证，坐公交能免费吗？在哪里办理？",
        "何先生",
    ),
    (
        "help",
        "CIVIL.AID",
        "XC-02",
        "白沙镇白沙村",
        "我丈夫重病住院，家里没有收入来源，两个孩子还在读书，想问能不能申请低保或者临时救助。",
        "林女士",
    ),
    (
        "complaint",
        "CONDUCT.ATTITUDE",
        "DC",
        "东城区政务服务中心",
        "昨天上午在区政务服务中心办事，三号窗口工作人员态度很差，材料没看完就说不全让我回去，也不一次性告知缺什么。",
        "黄先生",
    ),
    (
        "complaint",
        "CONDUCT.EFFICIENCY",
        "NH",
        "南湖区不动产登记窗口",
        "不动产登记申请已经提交四十多天了，一直说在审核，超过了承诺的办理时限，打电话也没人接。",
        "罗女士",
    ),
    (
        "report",
        "URBAN.STREET",
        "DC-01",
        "东湖街道东湖市场门口",
        "东湖市场门口每天早上都有摊贩占道卖菜，把人行道和半条车道都占了，很容易出交通事故。",
        None,
    ),
    (
        "complaint",
        "URBAN.SANITATION",
        "NH-02",
        "新港镇新港花园北门",
        "新港花园北门的垃圾桶已经一个星期没人清运了，天气热臭味很重，蚊蝇很多。",
        "谢先生",
    ),
    (
        "consultation",
        "SOCIAL.MEDICAL",
        "XC",
        None,
        "我在外地住院了，医疗保险异地就医怎么备案？回来以后还能报销吗？",
        "宋女士",
    ),
    (
        "consultation",
        "SOCIAL.EMPLOY",
        "DC",
        None,
        "我是应届毕业生，想自主创业，请问有没有创业担保贷款或者一次性创业补贴？",
        "唐先生",
    ),
    (
        "complaint",
        "MARKET.CONSUMER",
        "XC-01",
        "金桥街道万达广场",
        "我在商场一家健身房办了年卡，刚用两个月健身房就关门了，老板联系不上，要求退还剩余费用。",
        "许女士",
    ),
    (
        "help",
        "HOUSE.CONSTRUCTION",
        "DC-02",
        "龙门镇新城路",
        "新城路有一处施工围挡倒在人行道上，已经两天了没人处理，行人只能走机动车道。",
        "邓先生",
    ),
    (
        "praise",
        "SOCIAL.PENSION",
        "DC",
        None,
        "上个月来电咨询养老金补缴，人社局的工作人员耐心解答，还主动打电话告诉我办理进度，特此表扬。",
        "韩先生",
    ),
    (
        "consultation",
        "UTILITY.GAS",
        "NH-01",
        None,
        "新房子想开通管道燃气，需要带什么材料去哪里申请？开通费用是多少？",
        "曹女士",
    ),
    (
        "complaint",
        "UTILITY.POWER",
        "XC-02",
        "白沙镇白沙村五组",
        "白沙村五组这个月已经停电四次了，每次都没有通知，家里的冰箱都坏了。",
        "彭先生",
    ),
    (
        "consultation",
        "HOUSEHOLD.ID",
        "NH",
        None,
        "身份证丢了，在外地可以补办吗？补办需要多长时间，能不能办临时身份证？",
        "曾先生",
    ),
    (
        "help",
        "TRAFFIC.ROAD",
        "XC-01",
        "金桥街道新华路",
        "新华路中段有一个井盖缺失，晚上没有路灯很危险，已经有电动车摔倒了，请尽快处理。",
        "萧女士",
    ),
    (
        "complaint",
        "HOUSE.FUND",
        "DC",
        None,
        "单位一直没有给我缴住房公积金，入职的时候说好了要缴的，现在想买房发现一分钱都没有。",
        "田先生",
    ),
]

# Phone numbers of the demo callers (valid mainland formats, not real subscribers).
PHONES = [
    "13800138000",
    "13912345678",
    "15012345678",
    "18612345678",
    "13712345678",
    "13512345678",
    "18912345678",
    "15912345678",
    "13612345678",
    "18812345678",
    "075712345678",
    "075787654321",
]

REPLIES = [
    "经核查，情况属实。我单位已于今日安排工作人员到现场处理，并已电话告知来电人处理结果。",
    "您好，您反映的问题已转相关科室核实处理，具体办理材料和流程已短信发送给您，如有疑问可拨打我单位咨询电话。",
    "经调查，相关企业已承诺在本月底前整改完毕，我单位将持续跟踪并督促落实。",
]
