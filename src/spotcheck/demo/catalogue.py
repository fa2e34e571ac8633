"""Demo catalogue for 丰台区 双随机、一公开: plain, JSON-able data and deterministic generators.

What is here:

- ``DEPARTMENTS``: the 16 member departments of the joint meeting (联席会议成员单位) named by
  丰政办发[2019]18号, each with a liaison (联络员);
- ``EXPERTISE``, ``DEPARTMENT_EXPERTISE``: fields of expertise, and which fields each
  department's inspectors cover;
- ``ITEMS``: a district list of inspection items (随机抽查事项清单);
- ``INDUSTRIES``: GB/T 4754-2017 classes that occur in the district;
- ``REGIONS``: the 24 streets and 2 towns, read from ``spotcheck/domain/data/regions.json``;
- ``subjects()``, ``inspectors()``, ``conflicts()``: the two registries (检查对象名录库,
  执法检查人员名录库) and declared conflicts of interest (回避), generated from a seed;
- ``ACCOUNTS``: one demo account per role, and one per liaison.

Everything is fictitious: people, businesses, telephone numbers (no range is reserved for
fiction in China, so these are merely well-formed) and e-mail addresses (the reserved
``.example`` domain).  Item names follow the wording of published lists; the legal bases name
the law or regulation an item rests on (with an article where the catalogue is confident of
it) and must be checked against the current published list before any real use.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from typing import Any

from spotcheck.demo import names
from spotcheck.domain.uscc import ALPHABET, check_character

Row = dict[str, Any]
"""A JSON-able row (str keys; str, int, bool, None, list and dict values)."""

DEFAULT_SEED = 20261126
FENGTAI_DIVISION = "110106"
"""行政区划代码 of 丰台区, positions 3-8 of a USCC registered in the district."""
EMAIL_DOMAIN = "fengtai.example"
"""RFC 2606 reserves ``.example``: no address here can reach anyone."""


# ---------------------------------------------------------------------------------------------
# Regions (街道、乡镇)

REGIONS: list[Row] = json.loads(
    (resources.files("spotcheck.domain") / "data" / "regions.json").read_text("utf-8")
)
_REGION_NAME: dict[str, str] = {r["code"]: r["name"] for r in REGIONS}
_REGION_CODES: list[str] = [r["code"] for r in REGIONS]
# Towns and outer streets, where farms, cooperatives and most construction sites are.
_OUTER_REGIONS = ("wangzuo", "beigong", "changxindian", "yungang", "huaxiang", "lugouqiao")


# ---------------------------------------------------------------------------------------------
# Departments (联席会议成员单位)

# (code, full name, short name, liaison name); order as in the seed's list of members.
_DEPARTMENT_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("SCJG", "北京市丰台区市场监督管理局", "区市场监管局", "刘晓东"),
    ("FGW", "北京市丰台区发展和改革委员会", "区发展改革委", "陈静怡"),
    ("JW", "北京市丰台区教育委员会", "区教委", "王立新"),
    ("GA", "北京市公安局丰台分局", "丰台公安分局", "赵振宇"),
    ("RSJ", "北京市丰台区人力资源和社会保障局", "区人力社保局", "孙丽娟"),
    ("STHJ", "北京市丰台区生态环境局", "区生态环境局", "周海波"),
    ("ZJW", "北京市丰台区住房和城乡建设委员会", "区住房城乡建设委", "吴建军"),
    # The seed says only 交通; the name is a plausible one for the district's transport body.
    ("JT", "北京市丰台区交通局", "区交通局", "郑雪梅"),
    ("NYNC", "北京市丰台区农业农村局", "区农业农村局", "冯春燕"),
    ("SW", "北京市丰台区商务局", "区商务局", "何文博"),
    ("WL", "北京市丰台区文化和旅游局", "区文化和旅游局", "许思远"),
    ("WJW", "北京市丰台区卫生健康委员会", "区卫生健康委", "韩淑琴"),
    ("YJ", "北京市丰台区应急管理局", "区应急管理局", "高志强"),
    ("TJ", "北京市丰台区统计局", "区统计局", "宋佳慧"),
    ("SWJ", "国家税务总局北京市丰台区税务局", "区税务局", "曹宏亮"),
    # Illustrative: customs is organised by port, not by district; this office name is made up.
    ("HG", "北京海关驻丰台办事处", "海关驻丰台办事处", "梁晓彤"),
)


def _department(i: int, code: str, name: str, short: str, liaison: str) -> Row:
    user_id = f"liaison-{code.lower()}"
    return {
        "code": code,
        "name": name,
        "short_name": short,
        "office": code == "SCJG",  # 联席会议办公室设在区市场监管局
        "member": True,
        "liaison": {
            "name": liaison,
            "phone": f"010-6380{1000 + 10 * (i + 1)}",
            "email": f"{user_id}@{EMAIL_DOMAIN}",
            "user_id": user_id,
        },
    }


DEPARTMENTS: list[Row] = [_department(i, *row) for i, row in enumerate(_DEPARTMENT_ROWS)]
_DEPARTMENT_CODES: list[str] = [d["code"] for d in DEPARTMENTS]
_SHORT_NAME: dict[str, str] = {d["code"]: d["short_name"] for d in DEPARTMENTS}


# ---------------------------------------------------------------------------------------------
# Expertise (专业领域)

EXPERTISE: list[Row] = [
    {"code": code, "name": name}
    for code, name in (
        ("FOOD", "食品安全"),
        ("DRUG", "药品医疗器械"),
        ("SPECIAL_EQUIPMENT", "特种设备"),
        ("METROLOGY", "计量"),
        ("PRODUCT_QUALITY", "产品质量"),
        ("ADVERTISING", "广告监管"),
        ("LICENSING", "登记注册"),
        ("ENVIRONMENT", "生态环境"),
        ("CONSTRUCTION", "建设工程"),
        ("HOUSING", "房地产市场"),
        ("CULTURE", "文化市场"),
        ("HEALTH", "卫生监督"),
        ("SAFETY", "安全生产"),
        ("TAX", "税务"),
        ("LABOUR", "劳动保障"),
        ("TRANSPORT", "交通运输"),
        ("AGRICULTURE", "农业"),
        ("COMMERCE", "商务"),
        ("EDUCATION", "教育"),
        ("STATISTICS", "统计"),
        ("CUSTOMS", "海关"),
        ("PUBLIC_SECURITY", "治安管理"),
        ("INVESTMENT", "投资项目管理"),
    )
]

DEPARTMENT_EXPERTISE: dict[str, list[str]] = {
    "SCJG": [
        "FOOD",
        "DRUG",
        "SPECIAL_EQUIPMENT",
        "METROLOGY",
        "PRODUCT_QUALITY",
        "ADVERTISING",
        "LICENSING",
    ],
    "FGW": ["INVESTMENT", "CONSTRUCTION"],
    "JW": ["EDUCATION"],
    "GA": ["PUBLIC_SECURITY"],
    "RSJ": ["LABOUR"],
    "STHJ": ["ENVIRONMENT"],
    "ZJW": ["CONSTRUCTION", "HOUSING", "SAFETY"],
    "JT": ["TRANSPORT", "SAFETY"],
    "NYNC": ["AGRICULTURE", "FOOD"],
    "SW": ["COMMERCE"],
    "WL": ["CULTURE"],
    "WJW": ["HEALTH"],
    "YJ": ["SAFETY"],
    "TJ": ["STATISTICS"],
    "SWJ": ["TAX"],
    "HG": ["CUSTOMS"],
}
"""The fields of expertise each department's inspectors may have."""


# ---------------------------------------------------------------------------------------------
# Inspection items (随机抽查事项清单)

METHODS = ("WRITTEN", "ON_SITE", "ONLINE", "DELEGATED")
"""书面检查, 实地核查, 网络监测, 委托检测/审计."""
TARGET_KINDS = ("ENTERPRISE", "INDIVIDUAL_BUSINESS", "PRODUCT", "PROJECT", "BEHAVIOUR")

_BODY = {"WJW": "区卫生健康委（区卫生健康监督所）"}


def _item(
    code: str,
    name: str,
    legal_basis: str,
    content: str,
    methods: str,
    target_kind: str,
    cap: int | str | None,
    expertise: str,
    checklist: str,
    *,
    unsuitable: str | None = None,
) -> Row:
    """One item.  ``methods`` and ``expertise`` are space-separated codes, ``checklist`` the
    check points separated by ``；``; ``cap`` None makes it a key item (重点检查事项, no cap on
    the ratio)."""
    department = code.split("-", 1)[0]
    return {
        "code": code,
        "name": name,
        "department": department,
        "legal_basis": legal_basis,
        "inspecting_body": _BODY.get(department, _SHORT_NAME[department]),
        "content": content,
        "methods": methods.split(),
        "target_kind": target_kind,
        "category": "KEY" if cap is None else "GENERAL",
        "ratio_cap_percent": cap,
        "expertise": expertise.split(),
        "checklist": [{"code": str(i), "text": t} for i, t in enumerate(checklist.split("；"), 1)],
        "suitable": unsuitable is None,
        "unsuitable_reason": unsuitable,
    }


_ENT, _IND, _PROD, _PROJ, _BEH = TARGET_KINDS
_FOOD_LAW = "《中华人民共和国食品安全法》"

# fmt: off
ITEMS: list[Row] = [
    # 区市场监管局
    _item(
        "SCJG-001", "企业公示信息的检查", "《企业信息公示暂行条例》第十四条",
        "对企业通过国家企业信用信息公示系统公示的年度报告和即时信息的真实性、及时性进行检查。",
        "WRITTEN ON_SITE ONLINE", _ENT, 3, "LICENSING",
        "年度报告是否按时报送；公示的住所、经营场所及联系方式是否真实有效；"
        "公示的股东出资、股权变更等信息是否与实际一致；行政许可取得、变更信息是否按规定即时公示；"
        "是否存在隐瞒真实情况、弄虚作假情形",
    ),
    _item(
        "SCJG-002", "个体工商户年度报告信息的检查", "《个体工商户年度报告暂行办法》",
        "对个体工商户报送的年度报告信息的真实性进行检查。",
        "WRITTEN ON_SITE", _IND, 3, "LICENSING",
        "是否按时报送年度报告；经营者、经营场所等信息是否真实；联系方式是否真实有效",
    ),
    _item(
        "SCJG-003", "营业执照（登记）规范使用情况的检查",
        "《中华人民共和国市场主体登记管理条例》第三十六条",
        "检查经营者是否按规定悬挂或公示营业执照、是否按登记事项从事经营活动。",
        "ON_SITE ONLINE", _IND, 5, "LICENSING",
        "营业执照是否置于经营场所醒目位置；实际经营场所与登记的经营场所是否一致；"
        "实际经营者与登记的经营者是否一致；是否存在涂改、出租、出借、转让营业执照情形；"
        "从事电子商务的是否在首页显著位置公示营业执照信息",
    ),
    _item(
        "SCJG-004", "食品生产者生产活动的检查", _FOOD_LAW + "第一百一十条",
        "对食品生产者的生产环境、原料控制、生产过程控制及出厂检验等情况进行检查。",
        "ON_SITE DELEGATED", _ENT, None, "FOOD",
        "食品生产许可证是否在有效期内，生产条件是否与许可一致；原辅料进货查验记录是否完整；"
        "生产过程关键控制点是否受控；出厂检验记录是否真实完整；食品标签标识是否符合规定；"
        "不合格食品召回和处置是否落实",
    ),
    _item(
        "SCJG-005", "食品销售者经营活动的检查", _FOOD_LAW + "第一百一十条",
        "对食品销售者的经营条件、进货查验、贮存及标签标识等情况进行检查。",
        "ON_SITE", _ENT, None, "FOOD",
        "食品经营许可（备案）是否合法有效；进货查验记录制度是否落实；"
        "是否销售过期、变质或标签不符合规定的食品；冷藏冷冻食品贮存温度是否符合要求；"
        "从业人员健康证明是否有效",
    ),
    _item(
        "SCJG-006", "餐饮服务提供者经营活动的检查", _FOOD_LAW + "第一百一十条",
        "对餐饮服务提供者的许可、原料管理、加工制作、餐用具清洗消毒等情况进行检查。",
        "ON_SITE", _ENT, None, "FOOD",
        "食品经营许可证是否公示且在有效期内；原料采购索证索票是否完整；加工制作过程是否生熟分开；"
        "餐用具清洗消毒是否符合要求；食品添加剂使用是否规范；“明厨亮灶”是否落实",
    ),
    _item(
        "SCJG-007", "小餐饮、食杂店食品安全的检查", _FOOD_LAW + "第三十六条",
        "对小规模食品经营者的登记备案、经营条件和食品安全管理情况进行检查。",
        "ON_SITE", _IND, 10, "FOOD",
        "是否取得登记或备案并公示；经营场所卫生条件是否符合要求；是否销售过期、变质食品；"
        "从业人员健康证明是否有效",
    ),
    _item(
        "SCJG-008", "工业产品生产许可证获证企业的检查",
        "《中华人民共和国工业产品生产许可证管理条例》",
        "对获证企业的生产条件、检验能力及产品质量保持情况进行检查。",
        "ON_SITE DELEGATED", _ENT, None, "PRODUCT_QUALITY",
        "生产许可证是否在有效期内；生产条件和检验手段是否持续满足许可要求；"
        "产品是否标注生产许可证标志和编号；出厂检验记录是否完整；是否超出许可范围生产",
    ),
    _item(
        "SCJG-009", "产品质量的监督抽查", "《中华人民共和国产品质量法》第十五条",
        "按照监督抽查计划对生产、销售的产品抽取样品，委托检验机构检验。",
        "DELEGATED", _PROD, None, "PRODUCT_QUALITY",
        "抽样程序是否规范、样品封存是否完好；产品标识是否符合规定；检验项目是否合格；"
        "不合格产品是否依法处置",
    ),
    _item(
        "SCJG-010", "特种设备使用单位的检查", "《中华人民共和国特种设备安全法》第五十七条",
        "对电梯、锅炉、压力容器、场（厂）内专用机动车辆等特种设备使用单位的安全管理情况进行检查。",
        "ON_SITE", _ENT, None, "SPECIAL_EQUIPMENT SAFETY",
        "特种设备是否办理使用登记；特种设备是否在检验有效期内使用；"
        "安全管理人员和作业人员是否持证上岗；是否建立特种设备安全技术档案；"
        "日常维护保养和自行检查记录是否完整",
    ),
    _item(
        "SCJG-011", "计量器具的检查", "《中华人民共和国计量法》第十八条",
        "对使用强制检定计量器具的单位进行检查，核查计量器具是否按期检定、量值是否准确。",
        "ON_SITE DELEGATED", _ENT, 5, "METROLOGY",
        "强制检定计量器具是否登记造册；是否按期申请检定；是否使用未经检定或检定不合格的计量器具；"
        "是否存在破坏计量器具准确度的行为",
    ),
    _item(
        "SCJG-012", "广告发布行为的检查", "《中华人民共和国广告法》第四十九条",
        "对户外、印刷品及互联网广告的内容和发布行为进行检查。",
        "WRITTEN ONLINE", _BEH, 3, "ADVERTISING",
        "广告内容是否真实、合法；是否使用“国家级”“最高级”“最佳”等用语；"
        "医疗、药品、医疗器械、保健食品广告是否经审查；广告是否具有可识别性；"
        "广告发布者是否建立承接登记、审核、档案管理制度",
    ),
    _item(
        "SCJG-013", "网络交易经营者的检查", "《中华人民共和国电子商务法》第十五条",
        "对网络交易经营者的主体信息公示、商品信息披露和交易规则执行情况进行检查。",
        "ONLINE WRITTEN", _ENT, 3, "LICENSING ADVERTISING",
        "是否在首页显著位置持续公示营业执照信息；商品或者服务信息是否真实、全面；"
        "是否存在虚构交易、编造用户评价；是否明示退换货规则",
    ),
    _item(
        "SCJG-014", "药品零售企业的检查", "《中华人民共和国药品管理法》第九十九条",
        "对药品零售企业的许可条件、药品购进、储存、销售及执业药师在岗情况进行检查。",
        "ON_SITE", _ENT, None, "DRUG",
        "药品经营许可证是否在有效期内；执业药师是否在岗履职；处方药是否凭处方销售；"
        "药品购进渠道是否合法、票据是否齐全；药品储存温湿度是否符合要求",
    ),
    _item(
        "SCJG-015", "化妆品经营者的检查", "《化妆品监督管理条例》第四十六条",
        "对化妆品经营者（含美容美发机构）的进货查验、贮存条件和标签标识进行检查。",
        "ON_SITE", _ENT, "2.5", "DRUG PRODUCT_QUALITY",
        "是否建立并执行进货查验记录制度；是否经营未注册、未备案或超过使用期限的化妆品；"
        "美容美发机构使用的化妆品是否合法；化妆品标签是否符合规定",
    ),
    _item(
        "SCJG-016", "食品安全监督抽检", _FOOD_LAW + "第八十七条",
        "对生产、销售环节的食品进行抽样检验，公布不合格食品并依法处置。",
        "DELEGATED", _PROD, None, "FOOD",
        "抽样单据和样品封签是否完整；检验项目是否符合抽检细则；不合格食品是否下架、召回；"
        "核查处置是否在规定时限内完成",
    ),
    _item(
        "SCJG-017", "网络直播营销行为的检查",
        "《中华人民共和国反不正当竞争法》《网络交易监督管理办法》",
        "对直播间商品宣传、价格标示和消费者权益保障情况进行网络监测。",
        "ONLINE", _BEH, 3, "ADVERTISING",
        "是否作虚假或者引人误解的商业宣传；直播间是否公示经营者身份信息；"
        "是否存在虚构原价、虚假优惠折扣；是否按规定保存直播视频等资料",
    ),
    _item(
        "SCJG-018", "消费者投诉举报涉及经营行为的核查", "《市场监督管理投诉举报处理暂行办法》",
        "对消费者投诉举报反映的经营行为进行核查处理。",
        "ON_SITE WRITTEN", _BEH, None, "LICENSING",
        "投诉举报是否在规定时限内处理；核查结论是否告知投诉举报人；发现违法线索是否依法立案",
        unsuitable="需依申请或投诉举报启动，不适宜随机抽查",
    ),
    # 区生态环境局
    _item(
        "STHJ-001", "排污许可制度执行情况的检查", "《排污许可管理条例》",
        "对排污单位持证排污、按证排污及自行监测、执行报告等情况进行检查。",
        "ON_SITE DELEGATED", _ENT, None, "ENVIRONMENT",
        "是否依法取得排污许可证或者填报排污登记表；污染物排放口设置是否与许可一致；"
        "是否按规定开展自行监测并公开监测数据；是否按时提交排污许可证执行报告；"
        "环境管理台账记录是否完整",
    ),
    _item(
        "STHJ-002", "建设项目环境影响评价制度执行情况的检查",
        "《中华人民共和国环境影响评价法》第二十八条",
        "对建设项目环境影响评价文件审批（备案）及环境保护设施“三同时”落实情况进行检查。",
        "ON_SITE WRITTEN", _PROJ, 5, "ENVIRONMENT CONSTRUCTION",
        "环境影响评价文件是否依法审批或者备案；是否存在未批先建；"
        "环境保护设施是否与主体工程同时设计、同时施工、同时投产使用；是否依法开展竣工环境保护验收",
    ),
    # 区住房城乡建设委
    _item(
        "ZJW-001", "建筑施工企业安全生产许可证的检查", "《安全生产许可证条例》第十四条",
        "对建筑施工企业安全生产许可证取得及安全生产条件保持情况进行检查。",
        "WRITTEN ON_SITE", _ENT, 5, "CONSTRUCTION SAFETY",
        "安全生产许可证是否在有效期内；主要负责人、项目负责人、专职安全生产管理人员是否考核合格；"
        "安全生产责任制和管理制度是否健全；是否按规定提取和使用安全生产费用",
    ),
    _item(
        "ZJW-002", "房屋建筑和市政基础设施工程质量安全的检查",
        "《建设工程质量管理条例》第四十七条",
        "对在建工程参建各方的质量安全行为、工程实体质量和施工现场安全进行检查。",
        "ON_SITE DELEGATED", _PROJ, None, "CONSTRUCTION SAFETY",
        "施工许可等手续是否齐全；建设、施工、监理等单位质量安全责任是否落实；"
        "危险性较大的分部分项工程是否按专项方案施工；建筑材料进场检验和见证取样是否规范；"
        "施工现场扬尘治理是否符合要求",
    ),
    _item(
        "ZJW-003", "房地产经纪机构的检查", "《房地产经纪管理办法》",
        "对房地产经纪机构备案、经纪人员登记和经纪服务行为进行检查。",
        "WRITTEN ON_SITE", _ENT, 5, "HOUSING",
        "是否按规定办理备案；是否在经营场所公示服务项目和收费标准；是否发布虚假房源信息；"
        "交易资金是否按规定监管",
    ),
    # 区文化和旅游局
    _item(
        "WL-001", "娱乐场所的检查", "《娱乐场所管理条例》",
        "对歌舞、游艺等娱乐场所的经营许可、内容管理和安全管理情况进行检查。",
        "ON_SITE", _ENT, 10, "CULTURE",
        "娱乐经营许可证是否在有效期内；曲库、游戏游艺设备内容是否合法；是否按规定时间营业；"
        "歌舞娱乐场所是否接纳未成年人；安全疏散通道是否畅通",
    ),
    _item(
        "WL-002", "旅行社经营行为的检查", "《中华人民共和国旅游法》第八十三条",
        "对旅行社的经营许可、旅游合同签订及导游委派等情况进行检查。",
        "WRITTEN ON_SITE", _ENT, 5, "CULTURE",
        "旅行社业务经营许可证是否合法有效；是否与旅游者签订书面合同；是否委派持证导游；"
        "是否以不合理的低价组织旅游活动；质量保证金是否按规定缴存",
    ),
    _item(
        "WL-003", "互联网上网服务营业场所的检查", "《互联网上网服务营业场所管理条例》",
        "对网吧的经营许可、上网人员实名登记和未成年人保护情况进行检查。",
        "ON_SITE", _ENT, 10, "CULTURE",
        "网络文化经营许可证是否合法有效；是否落实上网人员实名登记；是否接纳未成年人；"
        "是否在显著位置悬挂未成年人禁入标志",
    ),
    # 区卫生健康委
    _item(
        "WJW-001", "公共场所卫生的检查", "《公共场所卫生管理条例》",
        "对住宿、沐浴、美容美发、影剧院等公共场所的卫生许可和卫生管理情况进行检查。",
        "ON_SITE DELEGATED", _ENT, 5, "HEALTH",
        "卫生许可证是否在有效期内并公示；从业人员是否取得有效健康合格证明；"
        "公共用品用具是否清洗消毒；空气、水质等卫生指标检测是否合格",
    ),
    _item(
        "WJW-002", "医疗机构依法执业的检查", "《医疗机构管理条例》",
        "对医疗机构执业许可、人员资质、诊疗科目和医疗废物处置情况进行检查。",
        "ON_SITE WRITTEN", _ENT, None, "HEALTH",
        "医疗机构执业许可证是否按期校验；是否超出登记的诊疗科目开展诊疗活动；"
        "卫生技术人员是否具备执业资格并注册；医疗废物是否分类收集并交有资质单位处置；"
        "病历书写和保管是否规范",
    ),
    _item(
        "WJW-003", "小型公共场所卫生的检查", "《公共场所卫生管理条例》",
        "对个体经营的理发店、美容店、小型浴室等公共场所的卫生状况进行检查。",
        "ON_SITE", _IND, 5, "HEALTH",
        "是否依法取得卫生许可或者按规定作出告知承诺；从业人员健康合格证明是否有效；"
        "公共用品用具是否一客一换一消毒",
    ),
    # 区应急管理局
    _item(
        "YJ-001", "危险化学品经营单位的检查", "《危险化学品安全管理条例》第七条",
        "对危险化学品经营单位的经营许可、储存条件和安全管理制度落实情况进行检查。",
        "ON_SITE", _ENT, None, "SAFETY",
        "危险化学品经营许可证是否在有效期内；储存场所和设施是否符合安全要求；"
        "是否如实记录危险化学品销售情况；主要负责人和安全管理人员是否经考核合格；"
        "是否制定应急预案并定期演练",
    ),
    _item(
        "YJ-002", "工贸企业安全生产的检查", "《中华人民共和国安全生产法》第六十五条",
        "对工贸企业安全生产责任制、隐患排查治理和从业人员培训情况进行检查。",
        "ON_SITE WRITTEN", _ENT, 5, "SAFETY",
        "是否建立全员安全生产责任制；是否开展隐患排查治理并建立台账；"
        "从业人员是否经安全生产教育和培训；有限空间、粉尘涉爆等重点环节是否落实管控措施",
    ),
    _item(
        "YJ-003", "生产安全事故的调查处理", "《生产安全事故报告和调查处理条例》",
        "对发生的生产安全事故依法组织调查处理。",
        "ON_SITE", _BEH, None, "SAFETY",
        "事故是否按规定时限报告；事故现场是否依法保护；事故责任单位是否落实整改和防范措施",
        unsuitable="事故发生后依法启动调查，不适宜随机抽查",
    ),
    # 区税务局
    _item(
        "SWJ-001", "发票使用情况的检查", "《中华人民共和国发票管理办法》",
        "对纳税人开具、取得和保管发票的情况进行检查。",
        "WRITTEN ON_SITE", _ENT, 3, "TAX",
        "是否按规定开具发票；是否存在虚开、代开发票行为；取得的发票是否合规；"
        "发票保管和缴销是否符合规定",
    ),
    _item(
        "SWJ-002", "纳税人纳税情况的检查", "《中华人民共和国税收征收管理法》第五十四条",
        "对纳税人申报纳税、代扣代缴税款等情况进行检查。",
        "WRITTEN", _ENT, "1.5", "TAX",
        "纳税申报是否真实、完整；账簿、凭证设置和保管是否符合规定；"
        "代扣代缴、代收代缴税款义务是否履行；享受的税收优惠是否符合条件",
    ),
    # 区农业农村局
    _item(
        "NYNC-001", "农药经营单位的检查", "《农药管理条例》",
        "对农药经营许可、进货查验和购销台账等情况进行检查。",
        "ON_SITE DELEGATED", _ENT, 10, "AGRICULTURE",
        "农药经营许可证是否在有效期内；是否建立采购、销售台账；"
        "是否经营假农药、劣质农药或者禁用农药；限制使用农药是否定点经营",
    ),
    _item(
        "NYNC-002", "农产品生产经营主体质量安全的检查", "《中华人民共和国农产品质量安全法》",
        "对农产品生产企业、农民专业合作社的生产记录、农业投入品使用和承诺达标合格证开具情况进行检"
        "查。",
        "ON_SITE", _ENT, 10, "AGRICULTURE FOOD",
        "是否建立农产品生产记录；是否遵守农药安全间隔期；是否按规定开具承诺达标合格证；"
        "是否使用国家禁用的农业投入品",
    ),
    _item(
        "NYNC-003", "食用农产品质量安全监督抽查", "《中华人民共和国农产品质量安全法》",
        "对辖区生产的食用农产品抽样检测。",
        "DELEGATED", _PROD, None, "AGRICULTURE FOOD",
        "抽样是否覆盖主要品种；农药残留等检测项目是否合格；不合格产品是否追溯处置",
    ),
    # 区商务局
    _item(
        "SW-001", "单用途商业预付卡发卡企业的检查", "《单用途商业预付卡管理办法（试行）》",
        "对发卡企业备案、预收资金管理和业务信息报送情况进行检查。",
        "WRITTEN ON_SITE", _ENT, 5, "COMMERCE",
        "是否按规定办理备案；预收资金是否按规定存管；是否与购卡人签订售卡协议；"
        "是否按时报送业务情况",
    ),
    # 区人力社保局
    _item(
        "RSJ-001", "用人单位遵守劳动保障法律法规情况的检查", "《劳动保障监察条例》第十一条",
        "对用人单位劳动合同订立、工资支付、工作时间和社会保险缴纳等情况进行检查。",
        "WRITTEN ON_SITE", _ENT, 3, "LABOUR",
        "是否依法与劳动者订立书面劳动合同；是否按时足额支付工资，工资是否不低于最低工资标准；"
        "是否遵守工作时间和休息休假规定；是否依法参加社会保险并缴纳社会保险费；是否使用童工",
    ),
    # 区交通局
    _item(
        "JT-001", "道路货物运输经营者的检查", "《中华人民共和国道路运输条例》",
        "对道路货物运输经营许可、车辆技术状况和从业人员资格进行检查。",
        "WRITTEN ON_SITE", _ENT, 5, "TRANSPORT",
        "道路运输经营许可证是否有效；营运车辆是否按期进行综合性能检测；驾驶员是否取得从业资格证；"
        "是否落实车辆动态监控",
    ),
    _item(
        "JT-002", "机动车维修经营者的检查", "《机动车维修管理规定》",
        "对机动车维修经营备案、维修质量和配件管理进行检查。",
        "ON_SITE", _ENT, 5, "TRANSPORT",
        "是否按规定办理维修经营备案；是否公示维修工时定额和收费标准；是否建立维修档案；"
        "是否使用假冒伪劣配件",
    ),
    # 区教委
    _item(
        "JW-001", "校外培训机构的检查", "《中华人民共和国民办教育促进法》",
        "对校外培训机构的办学许可、培训内容、收费和安全管理情况进行检查。",
        "ON_SITE WRITTEN", _ENT, 10, "EDUCATION",
        "是否取得办学许可；培训内容是否超标超前；收费是否符合规定，预收费是否纳入监管；"
        "从业人员是否具备相应资质；培训场所消防安全是否符合要求",
    ),
    # 区发展改革委
    _item(
        "FGW-001", "政府投资项目的检查", "《政府投资条例》",
        "对政府投资项目的审批手续、资金使用和建设实施情况进行检查。",
        "WRITTEN ON_SITE", _PROJ, 10, "INVESTMENT",
        "项目审批手续是否齐全；是否按批准的建设地点、建设规模和建设内容实施；"
        "资金使用是否符合规定；是否按规定报送项目建设实施情况",
    ),
    # 区统计局
    _item(
        "TJ-001", "统计调查对象统计工作的检查", "《中华人民共和国统计法》",
        "对调查对象原始记录、统计台账建立情况和统计数据的真实性进行检查。",
        "WRITTEN ON_SITE", _ENT, 2, "STATISTICS",
        "是否设置原始记录和统计台账；报送的统计资料是否真实、准确、完整；是否按时报送统计资料；"
        "是否存在拒报、迟报或者虚报",
    ),
    # 丰台公安分局
    _item(
        "GA-001", "旅馆业治安管理的检查", "《旅馆业治安管理办法》",
        "对旅馆特种行业许可、旅客住宿登记和治安防范措施进行检查。",
        "ON_SITE", _ENT, 5, "PUBLIC_SECURITY",
        "是否取得特种行业许可证；是否落实旅客住宿实名登记；是否按规定上传住宿登记信息；"
        "治安防范设施是否完好",
    ),
    # 海关驻丰台办事处
    _item(
        "HG-001", "进出口货物收发货人的检查", "《中华人民共和国海关稽查条例》",
        "对进出口企业的进出口活动、账簿单证和内部管理情况进行稽查。",
        "WRITTEN ON_SITE", _ENT, 2, "CUSTOMS",
        "进出口申报是否真实；报关单证与会计账簿记录是否一致；是否擅自处置海关监管货物；"
        "企业内部管理是否符合信用管理要求",
    ),
]
# fmt: on
_ITEM = {i["code"]: i for i in ITEMS}


# ---------------------------------------------------------------------------------------------
# Industries (GB/T 4754-2017 classes found in the district)

INDUSTRIES: list[Row] = [
    {"code": code, "name": name}
    for code, name in (
        ("A0141", "蔬菜种植"),
        ("A0143", "花卉种植"),
        ("C1411", "糕点、面包制造"),
        ("C1431", "米、面制品制造"),
        ("C1432", "速冻食品制造"),
        ("C2319", "包装装潢及其他印刷"),
        ("C2770", "卫生材料及医药用品制造"),
        ("C3021", "水泥制品制造"),
        ("C3311", "金属结构制造"),
        ("C3581", "医疗诊断、监护及治疗设备制造"),
        ("E4790", "其他房屋建筑业"),
        ("E4813", "市政道路工程建筑"),
        ("E5012", "住宅装饰和装修"),
        ("F5123", "果品、蔬菜批发"),
        ("F5124", "肉、禽、蛋、奶及水产品批发"),
        ("F5132", "服装批发"),
        ("F5165", "建材批发"),
        ("F5167", "农药批发"),
        ("F5169", "其他化工产品批发"),
        ("F5181", "贸易代理"),
        ("F5211", "百货零售"),
        ("F5212", "超级市场零售"),
        ("F5213", "便利店零售"),
        ("F5226", "酒、饮料及茶叶零售"),
        ("F5251", "西药零售"),
        ("F5261", "汽车新车零售"),
        ("F5265", "机动车燃油零售"),
        ("F5292", "互联网零售"),
        ("G5431", "普通货物道路运输"),
        ("G6020", "快递服务"),
        ("H6110", "旅游饭店"),
        ("H6121", "经济型连锁酒店"),
        ("H6210", "正餐服务"),
        ("H6220", "快餐服务"),
        ("H6241", "餐饮配送服务"),
        ("H6291", "小吃服务"),
        ("I6513", "应用软件开发"),
        ("K7010", "房地产开发经营"),
        ("K7020", "物业管理"),
        ("K7030", "房地产中介服务"),
        ("L7251", "互联网广告服务"),
        ("L7263", "劳务派遣服务"),
        ("L7291", "旅行社及相关服务"),
        ("M7452", "检测服务"),
        ("O8040", "理发及美容服务"),
        ("O8051", "洗浴服务"),
        ("O8111", "汽车修理与维护"),
        ("P8391", "职业技能培训"),
        ("P8393", "文化艺术培训"),
        ("Q8415", "专科医院"),
        ("Q8425", "门诊部（所）"),
        ("R8760", "电影放映"),
        ("R9011", "歌舞厅娱乐活动"),
        ("R9013", "网吧活动"),
    )
]


# ---------------------------------------------------------------------------------------------
# Registry of inspection subjects (检查对象名录库)

SUBJECT_KINDS: tuple[tuple[str, float], ...] = (
    ("ENTERPRISE", 70.0),
    ("INDIVIDUAL_BUSINESS", 25.0),
    ("PRODUCT", 2.0),
    ("PROJECT", 1.5),
    ("BEHAVIOUR", 1.5),
)
SUBJECT_STATUSES: tuple[tuple[str, float], ...] = (
    ("ACTIVE", 94.0),
    ("DEREGISTERED", 2.5),  # 已注销
    ("REVOKED", 1.0),  # 已吊销
    ("CANCELLED", 0.5),  # 已撤销
    ("MOVED_OUT", 2.0),  # 已迁出
)
RISK_CLASSES: tuple[tuple[str, float], ...] = (("A", 50.0), ("B", 35.0), ("C", 12.0), ("D", 3.0))


@dataclass(frozen=True)
class _Business:
    """How businesses in one industry look: names, tags, maintaining departments, items."""

    industry: str
    enterprise_weight: float
    individual_weight: float
    words: tuple[str, ...]
    """Business words of a company name (行业词): 北京{字号}{词}有限公司."""
    shop_suffixes: tuple[str, ...]
    """Endings of an individual business's name (业态): 丰台区{字号}{ending}."""
    tags: tuple[str, ...]
    departments: tuple[tuple[str, float], ...]
    enterprise_items: tuple[str, ...]
    individual_items: tuple[str, ...] = ()
    cooperative_share: float = 0.0
    cooperative_words: tuple[str, ...] = ()
    regions: tuple[str, ...] | None = None


def _business_line(
    industry: str,
    enterprise_weight: float,
    individual_weight: float,
    words: str,
    shop_suffixes: str,
    tags: str,
    departments: str | tuple[tuple[str, float], ...],
    enterprise_items: str | tuple[str, ...],
    individual_items: str | tuple[str, ...] = (),
    *,
    cooperative_share: float = 0.0,
    cooperative_words: str = "",
    regions: str | tuple[str, ...] | None = None,
) -> _Business:
    """A ``_Business`` from compact text: lists space-separated, departments ``CODE:weight``."""
    if isinstance(departments, str):
        departments = tuple((d, float(w)) for d, w in (x.split(":") for x in departments.split()))
    return _Business(
        industry,
        enterprise_weight,
        individual_weight,
        tuple(words.split()),
        tuple(shop_suffixes.split()),
        tuple(tags.split()),
        departments,
        _split(enterprise_items),
        _split(individual_items),
        cooperative_share,
        tuple(cooperative_words.split()),
        None if regions is None else _split(regions),
    )


def _split(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(value.split()) if isinstance(value, str) else value


_SCJG = (("SCJG", 1.0),)
_HOTEL_DEPTS = (("SCJG", 0.5), ("GA", 0.2), ("WJW", 0.2), ("WL", 0.1))
_FOOD_SHOP = ("SCJG-007", "SCJG-003", "SCJG-002")
_SHOP = ("SCJG-003", "SCJG-002")
_FLOWERS = ("huaxiang", "wangzuo", "beigong", "changxindian")

# fmt: off
_BUSINESSES: tuple[_Business, ...] = (
    # industry, weights (enterprise, individual), words, shop suffixes, tags, departments,
    # enterprise items, individual items
    _business_line("F5211", 3, 2, "商贸 百货 商业管理", "日用百货经营部 百货商店",
                   "商品零售", _SCJG, "SCJG-011 SCJG-013", _SHOP),
    _business_line("F5212", 3, 3, "超市 商贸", "超市 便民超市",
                   "食品经营 连锁经营", _SCJG, "SCJG-005 SCJG-011 SW-001", _FOOD_SHOP),
    _business_line("F5213", 2, 4, "便利店 便利连锁", "便利店 食杂店",
                   "食品经营", _SCJG, "SCJG-005", _FOOD_SHOP),
    _business_line("F5123", 3, 6, "农产品 果蔬 蔬菜", "蔬菜批发部 水果批发部 果蔬店",
                   "食用农产品 批发市场", _SCJG, "SCJG-005 SCJG-011", _FOOD_SHOP),
    _business_line("F5124", 2, 3, "冷链食品 水产 肉类食品", "冻品经营部 水产批发部 鲜肉店",
                   "冷链食品 食用农产品", _SCJG, "SCJG-005 SCJG-010", _FOOD_SHOP),
    _business_line("F5132", 3, 4, "服装 服饰", "服装批发部 服装店",
                   "纺织服装", _SCJG, "SCJG-013", _SHOP),
    _business_line("F5165", 2, 2, "建材 装饰材料 建筑材料", "建材经营部 五金建材店",
                   "重点工业产品", _SCJG, "SCJG-013", _SHOP),
    _business_line("F5167", 0.3, 0.3, "农资 农业科技", "农资经营部",
                   "农资", "NYNC:0.8 SCJG:0.2", "NYNC-001", _SHOP, regions=_OUTER_REGIONS),
    _business_line("F5169", 1, 0, "化工 化工产品", "",
                   "危险化学品", "YJ:0.5 SCJG:0.5", "YJ-001"),
    _business_line("F5181", 1, 0, "国际贸易 进出口", "",
                   "进出口", "SCJG:0.7 HG:0.3", "HG-001"),
    _business_line("F5226", 1, 3, "茶叶 酒业 茶业", "烟酒店 茶叶店",
                   "食品经营", _SCJG, "SCJG-005", _FOOD_SHOP),
    _business_line("F5251", 2, 0.5, "大药房 医药", "药店",
                   "药品零售", _SCJG, "SCJG-014", _SHOP),
    _business_line("F5261", 1, 0, "汽车销售 汽车贸易", "",
                   "汽车销售", _SCJG, "SCJG-013"),
    _business_line("F5265", 0.5, 0, "石油销售 加油站", "",
                   "成品油 危险化学品", "SCJG:0.5 YJ:0.3 SW:0.2", "SCJG-011 YJ-001 STHJ-001"),
    _business_line("F5292", 3, 2, "电子商务 网络科技", "网店",
                   "网络交易", _SCJG, "SCJG-013", _SHOP),
    _business_line("H6210", 4, 5, "餐饮管理 餐饮", "餐馆 饭馆 饺子馆 酒家 烤鸭店",
                   "餐饮服务 食品经营", _SCJG, "SCJG-006 SCJG-010", _FOOD_SHOP),
    _business_line("H6220", 2, 4, "快餐 餐饮管理", "快餐店 面馆 包子铺",
                   "餐饮服务 食品经营", _SCJG, "SCJG-006", _FOOD_SHOP),
    _business_line("H6291", 0.5, 4, "小吃 餐饮", "小吃店 早点铺 麻辣烫店",
                   "餐饮服务 食品经营", _SCJG, "SCJG-006", _FOOD_SHOP),
    _business_line("H6241", 0.5, 0, "餐饮配送 团餐管理", "",
                   "集体用餐配送 食品经营", _SCJG, "SCJG-006 SCJG-010"),
    _business_line("H6110", 0.5, 0, "酒店管理 饭店", "",
                   "住宿 公共场所 特种设备使用", _HOTEL_DEPTS, "WJW-001 GA-001 SCJG-010 SCJG-006"),
    _business_line("H6121", 1, 0.5, "酒店管理 快捷酒店", "旅馆 招待所",
                   "住宿 公共场所", _HOTEL_DEPTS, "WJW-001 GA-001 SCJG-010", "WJW-003 SCJG-003"),
    _business_line("O8040", 2, 5, "美容美发 美业", "理发店 美发店 美甲店",
                   "公共场所 预付卡", "SCJG:0.6 WJW:0.4", "WJW-001 SCJG-015 SW-001",
                   "WJW-003 SCJG-003 SCJG-002"),
    _business_line("O8051", 0.5, 1, "洗浴 健康管理", "浴池",
                   "公共场所", "SCJG:0.5 WJW:0.5", "WJW-001 SCJG-010", "WJW-003 SCJG-003"),
    _business_line("O8111", 2, 3, "汽车维修 汽车服务", "汽车修理部 汽车美容店",
                   "机动车维修", "SCJG:0.5 JT:0.5", "JT-002 STHJ-001 SCJG-010", _SHOP),
    _business_line("R9011", 0.5, 0, "娱乐 文化娱乐", "",
                   "娱乐场所", "WL:0.6 GA:0.2 SCJG:0.2", "WL-001 WJW-001"),
    _business_line("R9013", 0.5, 0.5, "网络科技 网咖", "网吧",
                   "上网服务", "WL:0.7 SCJG:0.3", "WL-003", "SCJG-003"),
    _business_line("R8760", 0.3, 0, "影城 影院管理", "",
                   "公共场所", "WL:0.5 SCJG:0.5", "WJW-001 SCJG-010"),
    _business_line("L7291", 1, 0, "国际旅行社 旅行社", "",
                   "旅游", "WL:0.7 SCJG:0.3", "WL-002"),
    _business_line("L7251", 2, 0.5, "广告 文化传媒", "广告部 图文设计部",
                   "广告", _SCJG, "SCJG-013", "SCJG-003"),
    _business_line("L7263", 1, 0, "人力资源 劳务派遣", "",
                   "劳务派遣", "RSJ:0.6 SCJG:0.4", "RSJ-001"),
    _business_line("K7010", 1, 0, "房地产开发 置业", "",
                   "房地产", "ZJW:0.5 SCJG:0.5", "TJ-001 SWJ-002"),
    _business_line("K7020", 2, 0, "物业管理 物业服务", "",
                   "物业服务 特种设备使用", "ZJW:0.4 SCJG:0.6", "SCJG-010"),
    _business_line("K7030", 1.5, 1, "房地产经纪 房屋经纪", "房屋中介",
                   "房地产经纪", "ZJW:0.5 SCJG:0.5", "ZJW-003", "SCJG-003"),
    _business_line("E4790", 2, 0, "建筑工程 建设工程", "",
                   "建筑施工", "ZJW:0.7 SCJG:0.3", "ZJW-001 RSJ-001"),
    _business_line("E4813", 0.5, 0, "市政工程 路桥工程", "",
                   "建筑施工", "ZJW:0.7 SCJG:0.3", "ZJW-001 RSJ-001"),
    _business_line("E5012", 2, 1.5, "装饰工程 装饰设计 家居装饰", "装饰装修部",
                   "家装", "SCJG:0.7 ZJW:0.3", "RSJ-001 SCJG-013", _SHOP),
    _business_line("C1411", 0.5, 0, "食品 烘焙食品", "",
                   "食品生产", _SCJG, "SCJG-004 SCJG-010 SCJG-011"),
    _business_line("C1431", 0.5, 0, "食品 面食", "",
                   "食品生产", _SCJG, "SCJG-004 SCJG-010"),
    _business_line("C1432", 0.3, 0, "食品 冷冻食品", "",
                   "食品生产 冷链食品", _SCJG, "SCJG-004 SCJG-010"),
    _business_line("C2319", 0.4, 0, "印刷 包装印刷", "",
                   "印刷企业 重点工业产品", "SCJG:0.8 STHJ:0.2", "SCJG-008 STHJ-001 YJ-002"),
    _business_line("C3021", 0.3, 0, "混凝土 建材", "",
                   "重点工业产品 预拌混凝土", "SCJG:0.6 STHJ:0.2 ZJW:0.2",
                   "SCJG-008 STHJ-001 YJ-002", regions=_OUTER_REGIONS),
    _business_line("C3311", 0.3, 0, "钢结构 金属结构", "",
                   "工业企业", "SCJG:0.6 YJ:0.4", "YJ-002 SCJG-010 STHJ-001",
                   regions=_OUTER_REGIONS),
    _business_line("C3581", 0.3, 0, "医疗器械 医疗科技", "",
                   "医疗器械", _SCJG, "YJ-002 TJ-001"),
    _business_line("C2770", 0.2, 0, "卫生用品 医用材料", "",
                   "重点工业产品", _SCJG, "SCJG-008"),
    _business_line("M7452", 0.8, 0, "检测技术 检验检测", "",
                   "检验检测机构", _SCJG, "SCJG-011"),
    _business_line("I6513", 4, 0, "信息技术 网络科技 软件技术 科技", "",
                   "科技企业", _SCJG, "TJ-001 SWJ-002"),
    _business_line("G5431", 1.5, 1.5, "物流 货运 运输", "货运部",
                   "道路运输", "JT:0.6 SCJG:0.4", "JT-001", "SCJG-003"),
    _business_line("G6020", 1, 0.3, "快递 速递", "快递代办点",
                   "快递", _SCJG, "RSJ-001", "SCJG-003"),
    _business_line("Q8425", 0.6, 0, "门诊部 中医门诊部 口腔门诊部", "",
                   "医疗机构", "WJW:0.8 SCJG:0.2", "WJW-002"),
    _business_line("Q8415", 0.3, 0, "口腔医院 眼科医院", "",
                   "医疗机构 特种设备使用", "WJW:0.8 SCJG:0.2", "WJW-002 SCJG-010"),
    _business_line("P8391", 0.5, 0, "职业技能培训学校 职业技能培训", "",
                   "校外培训", "RSJ:0.4 JW:0.3 SCJG:0.3", "JW-001"),
    _business_line("P8393", 1, 0.3, "文化艺术培训 教育科技", "书画工作室",
                   "校外培训 预付卡", "JW:0.5 SCJG:0.5", "JW-001 SW-001", "SCJG-003"),
    _business_line("A0141", 0.5, 0, "农业科技 农业发展", "",
                   "食用农产品", "NYNC:0.8 SCJG:0.2", "NYNC-002", cooperative_share=0.8,
                   cooperative_words="蔬菜种植专业合作社 果蔬专业合作社", regions=_OUTER_REGIONS),
    _business_line("A0143", 0.4, 0, "花卉 园艺", "",
                   "花卉", "NYNC:0.6 SCJG:0.4", "NYNC-002", cooperative_share=0.4,
                   cooperative_words="花卉种植专业合作社", regions=_FLOWERS),
)
# fmt: on

# Items any enterprise / individual business may be listed for, whatever its industry.
_COMMON_ITEMS = {
    "ENTERPRISE": ("SCJG-001", "SWJ-001", "SWJ-002", "TJ-001", "RSJ-001"),
    "INDIVIDUAL_BUSINESS": ("SCJG-002", "SCJG-003"),
    "PRODUCT": (),
    "PROJECT": ("ZJW-002", "STHJ-002"),
    "BEHAVIOUR": ("SCJG-012",),
}
_EXTRA_TAGS = {
    "ENTERPRISE": ("小微企业", "新设立企业", "连锁经营", "网络交易"),
    "INDIVIDUAL_BUSINESS": ("小微商户", "新设立个体工商户", "网络交易", "社区便民"),
}


@dataclass(frozen=True)
class _Other:
    """A product, project or behaviour line: who keeps the record, its industry, its items."""

    kind: str
    weight: float
    department: str
    industry: str
    things: tuple[str, ...]
    tags: tuple[str, ...]
    items: tuple[str, ...]
    regions: tuple[str, ...] | None = None


def _other_line(
    kind: str,
    weight: float,
    department: str,
    industry: str,
    things: str,
    tags: str,
    items: str,
    *,
    regions: tuple[str, ...] | None = None,
) -> _Other:
    return _Other(
        kind,
        weight,
        department,
        industry,
        tuple(things.split()),
        tuple(tags.split()),
        tuple(items.split()),
        regions,
    )


# fmt: off
_OTHERS: tuple[_Other, ...] = (
    # kind, weight, department, industry, things, tags, items
    _other_line("PRODUCT", 2, "SCJG", "C1431",
                "挂面 鲜湿面条 馒头 速冻水饺",
                "食品抽检", "SCJG-016"),
    _other_line("PRODUCT", 2, "SCJG", "C1411",
                "月饼 蛋糕 面包 桃酥",
                "食品抽检", "SCJG-016"),
    _other_line("PRODUCT", 1, "SCJG", "F5124",
                "冷冻虾仁 鲜鸡蛋 冷鲜猪肉",
                "食品抽检 冷链食品", "SCJG-016"),
    _other_line("PRODUCT", 2, "SCJG", "F5165",
                "电线电缆 防水卷材 塑料管材 建筑用钢筋",
                "重点工业产品", "SCJG-009"),
    _other_line("PRODUCT", 1, "SCJG", "C3021",
                "预拌混凝土",
                "重点工业产品", "SCJG-009", regions=_OUTER_REGIONS),
    _other_line("PRODUCT", 1, "SCJG", "C2770",
                "一次性使用医用口罩 卫生湿巾 卫生巾",
                "重点工业产品", "SCJG-009"),
    _other_line("PRODUCT", 1, "SCJG", "C2319",
                "食品用纸包装 食品用塑料包装袋",
                "食品相关产品", "SCJG-009"),
    _other_line("PRODUCT", 2, "NYNC", "A0141",
                "西红柿 黄瓜 芹菜 韭菜 油菜 茄子",
                "食用农产品", "NYNC-003", regions=_OUTER_REGIONS),
    _other_line("PROJECT", 5, "ZJW", "E4790",
                "住宅楼 商业办公楼 综合楼 保障性住房 学校改扩建 养老服务设施",
                "在建工程", "ZJW-002"),
    _other_line("PROJECT", 2, "ZJW", "E4813",
                "道路改造 雨污分流管线 老旧小区综合整治 桥梁维修加固",
                "市政工程", "ZJW-002"),
    _other_line("PROJECT", 2, "STHJ", "E4790",
                "厂房 仓储物流中心 汽车维修车间",
                "环境影响评价", "STHJ-002", regions=_OUTER_REGIONS),
    _other_line("PROJECT", 1, "FGW", "E4813",
                "道路改造 公园配套设施 社区服务中心",
                "政府投资", "FGW-001"),
    _other_line("BEHAVIOUR", 3, "SCJG", "L7251",
                "保健食品 医疗美容服务 教育培训课程 房地产项目 白酒 家装服务",
                "广告", "SCJG-012"),
    _other_line("BEHAVIOUR", 2, "SCJG", "F5292",
                "服装 茶叶 化妆品 家用电器 保健食品",
                "网络交易 直播营销", "SCJG-017"),
)
# fmt: on
_AD_MEDIA = ("户外大屏", "公交候车亭灯箱", "楼宇电梯屏", "印刷品", "网店商品页面", "短视频账号")
_LINEAR_WORKS = ("道路改造", "雨污分流管线", "桥梁维修加固")


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def _sample(rng: random.Random, pool: dict[str, float], want: int) -> list[str]:
    """``want`` distinct keys of ``pool``, drawn with the pool's weights (insertion order kept)."""
    chosen: list[str] = []
    while len(chosen) < min(want, len(pool)):
        rest = [c for c in pool if c not in chosen]
        chosen.append(rng.choices(rest, [pool[c] for c in rest])[0])
    return chosen


def _pick_items(rng: random.Random, own: Sequence[str], kind: str) -> list[str]:
    """0-3 suitable items of the subject's kind, the line's own items more likely."""
    pool = {c: 3.0 for c in own}
    for code in _COMMON_ITEMS[kind]:
        pool.setdefault(code, 1.0)
    pool = {
        c: w for c, w in pool.items() if _ITEM[c]["target_kind"] == kind and _ITEM[c]["suitable"]
    }
    return _sample(rng, pool, rng.choices((0, 1, 2, 3), (15, 40, 30, 15))[0])


def _pick_tags(rng: random.Random, own: Sequence[str], extra: Sequence[str]) -> list[str]:
    """0-3 short tags, the line's own tags more likely."""
    pool = {t: 3.0 for t in own}
    for tag in extra:
        pool.setdefault(tag, 1.0)
    return _sample(rng, pool, rng.choices((0, 1, 2, 3), (20, 40, 30, 10))[0])


def _address(rng: random.Random, region: str, kind: str) -> str:
    street = names.road(rng, region, _REGION_NAME[region])
    number = rng.randint(1, 399)
    room = f"{rng.randint(1, 28)}{rng.randint(1, 30):02d}"
    if kind == "INDIVIDUAL_BUSINESS":
        extra = rng.choice(("", "", "1层", f"{rng.randint(1, 12)}号底商", f"院内{room}号"))
    else:
        extra = rng.choice(
            (
                "",
                f"院{rng.randint(1, 20)}号楼{room}室",
                f"{rng.randint(1, 25)}层{room}",
                f"{rng.randint(1, 12)}号楼{rng.randint(1, 6)}层",
            )
        )
    return f"北京市丰台区{_REGION_NAME[region]}{street}{number}号{extra}"


def _uscc(rng: random.Random, prefix: str, seen: set[str]) -> str:
    while True:
        first17 = prefix + FENGTAI_DIVISION + "".join(rng.choices(ALPHABET, k=9))
        code = first17 + check_character(first17)
        if code not in seen:
            seen.add(code)
            return code


def _region(rng: random.Random, allowed: Sequence[str] | None) -> str:
    if allowed and rng.random() < 0.85:
        return rng.choice(allowed)
    return rng.choice(_REGION_CODES)


def _unique(rng: random.Random, seen: set[str], make: Callable[[random.Random], str]) -> str:
    """A name from ``make(rng)``, retried a few times to avoid an exact duplicate."""
    name = make(rng)
    for _ in range(20):
        if name not in seen:
            break
        name = make(rng)
    seen.add(name)
    return name


def subjects(n: int = 20000, seed: int = DEFAULT_SEED) -> Iterator[Row]:
    """``n`` inspection subjects (检查对象), the same ones for the same seed.

    Enterprises (~70%) and individual businesses (~25%) carry a valid USCC registered in
    丰台区 (division 110106): enterprises ``91`` (companies) or ``93`` (农民专业合作社),
    individual businesses ``92``; codes are unique.  Products, projects and behaviours carry an
    ``identifier`` ``KIND:DEPT:YYYY-NNNNNN`` from the department that keeps the record.
    """
    rng = random.Random(seed)
    kinds = [k for k, _ in SUBJECT_KINDS]
    kind_weights = [w for _, w in SUBJECT_KINDS]
    enterprise_lines = [b for b in _BUSINESSES if b.enterprise_weight > 0]
    enterprise_weights = [b.enterprise_weight for b in enterprise_lines]
    shop_lines = [b for b in _BUSINESSES if b.individual_weight > 0]
    shop_weights = [b.individual_weight for b in shop_lines]
    other_lines = {
        k: [o for o in _OTHERS if o.kind == k] for k in ("PRODUCT", "PROJECT", "BEHAVIOUR")
    }
    codes: set[str] = set()
    seen_names: set[str] = set()
    counters: dict[tuple[str, str], int] = {}
    for _ in range(n):
        kind = rng.choices(kinds, kind_weights)[0]
        if kind == "ENTERPRISE":
            line = rng.choices(enterprise_lines, enterprise_weights)[0]
            yield _business(rng, kind, line, codes, seen_names)
        elif kind == "INDIVIDUAL_BUSINESS":
            line = rng.choices(shop_lines, shop_weights)[0]
            yield _business(rng, kind, line, codes, seen_names)
        else:
            lines = other_lines[kind]
            other = rng.choices(lines, [o.weight for o in lines])[0]
            yield _other(rng, other, counters, seen_names)


def _business(
    rng: random.Random, kind: str, line: _Business, codes: set[str], seen_names: set[str]
) -> Row:
    region = _region(rng, line.regions)
    representative = names.person(rng)
    if kind == "ENTERPRISE":
        cooperative = rng.random() < line.cooperative_share
        uscc = _uscc(rng, "93" if cooperative else "91", codes)
        if cooperative:
            name = _unique(
                rng,
                seen_names,
                lambda r: f"北京{names.trade_name(r)}{r.choice(line.cooperative_words)}",
            )
            tags_extra: tuple[str, ...] = ("农民专业合作社",)
        else:
            name = _unique(rng, seen_names, lambda r: _company_name(r, line))
            tags_extra = _EXTRA_TAGS[kind]
        items = _pick_items(rng, line.enterprise_items, kind)
    else:
        uscc = _uscc(rng, "92", codes)
        name = _unique(rng, seen_names, lambda r: _shop_name(r, line, representative))
        tags_extra = _EXTRA_TAGS[kind]
        items = _pick_items(rng, line.individual_items, kind)
    return {
        "kind": kind,
        "uscc": uscc,
        "identifier": None,
        "name": name,
        "region": region,
        "industry": line.industry,
        "address": _address(rng, region, kind),
        "legal_representative": representative,
        "status": _weighted(rng, SUBJECT_STATUSES),
        "risk_class": _weighted(rng, RISK_CLASSES),
        "maintaining_department": _weighted(rng, line.departments),
        "tags": _pick_tags(rng, line.tags, tags_extra),
        "items": items,
    }


def _company_name(rng: random.Random, line: _Business) -> str:
    trade = names.trade_name(rng)
    word = rng.choice(line.words)
    form = rng.random()
    if form < 0.62:
        return f"北京{trade}{word}有限公司"
    if form < 0.77:
        return f"北京{trade}{word}有限责任公司"
    if form < 0.90:
        return f"{trade}（北京）{word}有限公司"
    if form < 0.97:
        return f"北京{trade}{word}有限公司丰台分公司"
    return f"北京{trade}{word}股份有限公司"


def _shop_name(rng: random.Random, line: _Business, operator: str) -> str:
    suffix = rng.choice(line.shop_suffixes)
    form = rng.random()
    if form < 0.5:
        return f"北京市丰台区{names.trade_name(rng)}{suffix}"
    if form < 0.75:
        return f"丰台区{names.trade_name(rng)}{suffix}"
    return f"北京市丰台区{operator}{suffix}"


def _project_name(rng: random.Random, region: str, work: str) -> str:
    region_name = _REGION_NAME[region]
    if work in _LINEAR_WORKS:
        phase = rng.choice(("", "", "（一期）", "（二期）", "（三期）"))
        return f"{names.road(rng, region, region_name)}{work}工程{phase}"
    short = region_name.removesuffix("街道").removesuffix("镇")
    return f"{short}{rng.choice('ABCDEFGH')}-{rng.randint(1, 40):02d}地块{work}工程"


def _other(
    rng: random.Random, line: _Other, counters: dict[tuple[str, str], int], seen: set[str]
) -> Row:
    key = (line.kind, line.department)
    counters[key] = counters.get(key, 0) + 1
    year = rng.choice((2024, 2025, 2026))
    identifier = f"{line.kind}:{line.department}:{year}-{counters[key]:06d}"
    region = _region(rng, line.regions)
    thing = rng.choice(line.things)
    brand = names.trade_name(rng)
    representative: str | None = None
    if line.kind == "PRODUCT":
        batch = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        name = f"{brand}牌{thing}（批次{batch:%Y%m%d}{rng.randint(1, 99):02d}）"
    elif line.kind == "PROJECT":
        representative = names.person(rng)
        name = _unique(rng, seen, lambda r: _project_name(r, region, thing))
    elif line.industry == "L7251":
        name = f"“{brand}”{thing}广告发布行为（{rng.choice(_AD_MEDIA)}）"
    else:
        name = f"“{brand}”直播间网络直播营销行为（{thing}）"
    seen.add(name)
    return {
        "kind": line.kind,
        "uscc": None,
        "identifier": identifier,
        "name": name,
        "region": region,
        "industry": line.industry,
        "address": _address(rng, region, line.kind),
        "legal_representative": representative,
        "status": "ACTIVE",
        "risk_class": _weighted(rng, RISK_CLASSES),
        "maintaining_department": line.department,
        "tags": _pick_tags(rng, line.tags, ()),
        "items": _pick_items(rng, line.items, line.kind),
    }


# ---------------------------------------------------------------------------------------------
# Registry of inspectors (执法检查人员名录库)

INSPECTOR_KINDS: tuple[tuple[str, float], ...] = (
    ("ENFORCEMENT_OFFICER", 80.0),  # 行政执法人员 (civil servants with an enforcement certificate)
    ("SUPERVISION_STAFF", 15.0),  # 日常监管人员
    ("EXPERT", 5.0),  # 专家 (testing bodies, research institutes, universities): assist only
)
INSPECTOR_STATUSES: tuple[tuple[str, float], ...] = (
    ("ACTIVE", 91.0),
    ("ON_LEAVE", 5.0),
    ("SUSPENDED", 2.0),
    ("RETIRED", 2.0),
)
_INSPECTOR_DEPARTMENTS: tuple[tuple[str, float], ...] = (
    ("SCJG", 45.0),
    ("FGW", 2.0),
    ("JW", 4.0),
    ("GA", 4.0),
    ("RSJ", 4.0),
    ("STHJ", 6.0),
    ("ZJW", 6.0),
    ("JT", 4.0),
    ("NYNC", 3.0),
    ("SW", 3.0),
    ("WL", 4.0),
    ("WJW", 6.0),
    ("YJ", 5.0),
    ("TJ", 2.0),
    ("SWJ", 4.0),
    ("HG", 2.0),
)
_AFFILIATIONS: dict[str, tuple[str, ...]] = {
    "FOOD": ("某食品检验检测中心", "某高校食品科学与工程学院"),
    "DRUG": ("某药品检验所", "某医疗器械检验研究院"),
    "SPECIAL_EQUIPMENT": ("某特种设备检测研究院",),
    "METROLOGY": ("某计量检测研究院",),
    "PRODUCT_QUALITY": ("某产品质量监督检验院",),
    "ADVERTISING": ("某高校新闻与传播学院",),
    "LICENSING": ("某高校法学院",),
    "ENVIRONMENT": ("某环境监测站", "某高校环境学院"),
    "CONSTRUCTION": ("某建设工程质量检测中心", "某工程咨询公司"),
    "HOUSING": ("某房地产估价机构",),
    "CULTURE": ("某文化艺术研究院",),
    "HEALTH": ("某疾病预防控制中心", "某医学院"),
    "SAFETY": ("某安全生产技术服务机构", "某高校安全工程学院"),
    "TAX": ("某会计师事务所", "某税务师事务所"),
    "LABOUR": ("某律师事务所",),
    "TRANSPORT": ("某机动车检测场", "某交通科学研究院"),
    "AGRICULTURE": ("某农产品质量检测中心", "某农林科学院"),
    "COMMERCE": ("某会计师事务所",),
    "EDUCATION": ("某师范大学",),
    "STATISTICS": ("某高校统计学院",),
    "CUSTOMS": ("某报关协会",),
    "PUBLIC_SECURITY": ("某人民警察学院",),
    "INVESTMENT": ("某工程咨询公司",),
}
"""Where an expert (专家) of a field works: illustrative, never a named body."""

DEMO_INSPECTOR_NAME = "赵晨阳"
"""The person behind staff SCJG-0001, the ``inspector`` demo account."""

CERTIFICATE_YEARS = 5
"""Validity of an enforcement certificate (illustrative)."""
EXPIRED_SHARE = 0.05
"""The share of certificates that expired before the demo's year."""


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def inspectors(n: int = 300, seed: int = DEFAULT_SEED, year: int = 2026) -> Iterator[Row]:
    """``n`` inspectors, the same ones for the same seed and ``year``.

    The first row is always SCJG-0001, an active enforcement officer with a valid certificate
    (the ``inspector`` demo account); the first 16 rows give every department one person.
    Enforcement officers and half the supervision staff hold a certificate; 5% of certificates
    (rounded) expired before ``year`` began; every other one is valid through the whole year and
    at least 30 days past it, so the demo's draw and case find the same officers eligible on any
    day of ``year`` and a re-run within the year imports nothing new.  Experts (专家) hold none
    and name their affiliation.
    """
    rng = random.Random(seed)
    numbers = rng.sample(range(100000, 1000000), n)
    per_department: dict[str, int] = {}
    rows: list[Row] = []
    for i in range(n):
        demo = i == 0
        if i < len(_DEPARTMENT_CODES):
            department = _DEPARTMENT_CODES[i]
        else:
            department = _weighted(rng, _INSPECTOR_DEPARTMENTS)
        per_department[department] = per_department.get(department, 0) + 1
        staff_id = f"{department}-{per_department[department]:04d}"
        kind = "ENFORCEMENT_OFFICER" if demo else _weighted(rng, INSPECTOR_KINDS)
        certified = kind == "ENFORCEMENT_OFFICER" or (
            kind == "SUPERVISION_STAFF" and rng.random() < 0.5
        )
        fields = DEPARTMENT_EXPERTISE[department]
        top = 2 if kind == "EXPERT" else 3
        expertise = rng.sample(fields, rng.randint(1, min(top, len(fields))))
        affiliation = None
        if kind == "EXPERT":
            affiliation = rng.choice(_AFFILIATIONS[expertise[0]])
        certificate = f"京{FENGTAI_DIVISION}{numbers[i]:06d}" if certified else None
        rows.append(
            {
                "staff_id": staff_id,
                "name": DEMO_INSPECTOR_NAME if demo else names.person(rng),
                "department": department,
                "kind": kind,
                "certificate_number": certificate,
                "certificate_valid_from": None,
                "certificate_valid_until": None,
                "expertise": expertise,
                "status": "ACTIVE" if demo else _weighted(rng, INSPECTOR_STATUSES),
                "phone": f"1380000{i:04d}" if i < 10000 else f"139{i:08d}",
                "email": f"{staff_id.lower()}@{EMAIL_DOMAIN}",
                "affiliation": affiliation,
                # The demo account ``inspector``; SCJG's other officers get accounts
                # ``demo-{staff id}`` when the demo activity needs them (demo/activity.py).
                "user_id": "inspector"
                if demo
                else f"demo-{staff_id.lower()}"
                if department == "SCJG"
                else None,
            }
        )
    holders = [i for i, r in enumerate(rows) if r["certificate_number"] is not None]
    count = max(0, min(len(holders) - 1, round(EXPIRED_SHARE * len(holders))))
    expired = set(rng.sample(holders[1:], count))  # never the demo inspector's
    first, last = date(year, 1, 1), date(year, 12, 31)
    for i in holders:
        if i in expired:
            until = first - timedelta(days=rng.randint(1, 300))
        else:
            # At most four years past the year's end, so the certificate (five years) was
            # already valid on 1 January.
            until = last + timedelta(days=rng.randint(30, 365 * (CERTIFICATE_YEARS - 1)))
        start = _years_before(until, CERTIFICATE_YEARS) + timedelta(days=1)
        rows[i]["certificate_valid_from"] = start.isoformat()
        rows[i]["certificate_valid_until"] = until.isoformat()
    yield from rows


# ---------------------------------------------------------------------------------------------
# Declared conflicts of interest (回避)

CONFLICT_REASONS = (
    "近亲属在该企业任职",
    "曾在该企业任职未满三年",
    "与法定代表人存在利害关系",
    "配偶在该企业担任财务负责人",
    "近亲属持有该企业股份",
    "与法定代表人系同学关系，往来密切",
    "曾为该企业提供有偿咨询服务",
    "正在办理该企业的行政许可事项",
)


def conflicts(
    subject_keys: Sequence[str], inspector_ids: Sequence[str], seed: int = DEFAULT_SEED
) -> list[Row]:
    """About 20 declared conflicts of interest between the given inspectors and subjects.

    Pairs are distinct; fewer come back when fewer pairs exist, none when either list is empty.
    """
    if not subject_keys or not inspector_ids:
        return []
    rng = random.Random(seed)
    want = min(20, len(subject_keys) * len(inspector_ids))
    pairs: set[tuple[str, str]] = set()
    out: list[Row] = []
    while len(out) < want:
        pair = (rng.choice(inspector_ids), rng.choice(subject_keys))
        if pair in pairs:
            continue
        pairs.add(pair)
        out.append(
            {"staff_id": pair[0], "subject_key": pair[1], "reason": rng.choice(CONFLICT_REASONS)}
        )
    return out


# ---------------------------------------------------------------------------------------------
# Demo accounts

ACCOUNTS: list[Row] = [
    {
        "user_id": "admin",
        "display_name": "系统管理员（演示）",
        "department": "SCJG",
        "roles": ["SYSTEM_ADMIN"],
        "staff_id": None,
    },
    {
        "user_id": "scjg-admin",
        "display_name": "区市场监管局部门管理员（演示）",
        "department": "SCJG",
        "roles": ["DEPARTMENT_ADMIN"],
        "staff_id": None,
    },
    {
        "user_id": "sthj-admin",
        "display_name": "区生态环境局部门管理员（演示）",
        "department": "STHJ",
        "roles": ["DEPARTMENT_ADMIN"],
        "staff_id": None,
    },
    {
        "user_id": "inspector",
        "display_name": DEMO_INSPECTOR_NAME,
        "department": "SCJG",
        "roles": ["INSPECTOR"],
        "staff_id": "SCJG-0001",
    },
    {
        "user_id": "auditor",
        "display_name": "审计人员（演示）",
        "department": "SCJG",
        "roles": ["AUDITOR"],
        "staff_id": None,
    },
    # Liaisons co-manage their department's accounts by being the liaison, not by a role.
    *(
        {
            "user_id": d["liaison"]["user_id"],
            "display_name": d["liaison"]["name"],
            "department": d["code"],
            "roles": [],
            "staff_id": None,
        }
        for d in DEPARTMENTS
    ),
]
