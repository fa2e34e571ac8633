"""Name parts for the demo catalogue: surnames, given-name characters, trade names, roads.

Every name made from these parts is fictitious; any likeness to a real person or business is
chance.  The functions take the caller's ``random.Random`` so the catalogue stays deterministic.
"""

from __future__ import annotations

import random

# Common surnames with rough relative frequencies (the most frequent first).
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 72), ("李", 70), ("张", 68), ("刘", 53), ("陈", 45), ("杨", 31), ("赵", 20),
    ("黄", 20), ("周", 18), ("吴", 17), ("徐", 13), ("孙", 12), ("胡", 10), ("朱", 10),
    ("高", 10), ("林", 9), ("何", 9), ("郭", 9), ("马", 9), ("罗", 7), ("梁", 7), ("宋", 6),
    ("郑", 6), ("谢", 6), ("韩", 5), ("唐", 5), ("冯", 5), ("于", 5), ("董", 5), ("萧", 4),
    ("程", 4), ("曹", 4), ("袁", 4), ("邓", 4), ("许", 4), ("傅", 4), ("沈", 3), ("曾", 3),
    ("彭", 3), ("吕", 3), ("苏", 3), ("卢", 3), ("蒋", 3), ("蔡", 3), ("贾", 3), ("丁", 3),
    ("魏", 3), ("薛", 3), ("叶", 3), ("阎", 2), ("余", 2), ("潘", 2), ("杜", 2), ("戴", 2),
    ("夏", 2), ("钟", 2), ("汪", 2), ("田", 2), ("任", 2), ("姜", 2), ("范", 2), ("方", 2),
    ("石", 2), ("姚", 2), ("谭", 2), ("廖", 2), ("邹", 2), ("熊", 2), ("金", 2), ("陆", 2),
    ("郝", 2), ("孔", 2), ("白", 2), ("崔", 2), ("康", 2), ("毛", 2), ("邱", 2), ("秦", 2),
    ("江", 2), ("史", 2), ("顾", 1), ("侯", 1), ("邵", 1), ("孟", 1), ("龙", 1), ("万", 1),
    ("段", 1), ("雷", 1), ("钱", 1), ("汤", 1), ("尹", 1), ("黎", 1), ("易", 1), ("常", 1),
    ("武", 1), ("乔", 1), ("贺", 1), ("赖", 1), ("龚", 1), ("文", 1), ("欧阳", 1), ("司马", 1),
)  # fmt: skip

_SURNAME_CHOICES = tuple(s for s, _ in SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in SURNAMES)

GIVEN_CHARACTERS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲兰飞鹏辉宇浩"
    "建国志永海波晓东雪梅春燕立新丹宁建华文博思远子涵梓轩一诺欣怡雨泽俊熙嘉"
    "睿晨阳佳慧淑琴宏亮德胜振宇家豪凤霖彤瑶航帅鑫雯婷颖蕾薇旭昊然悦琳瑞凯"
)

# Characters businesses like in their trade name (字号).
TRADE_CHARACTERS = (
    "鑫华盛源泰恒达通嘉瑞兴隆丰禾金宏博正信诚德和安康福顺汇聚锦旭辰宇晟昊弘远"
    "方创新中京永合润佳明光天海航腾飞越卓凯铭轩益利祥荣昌升富晶誉联众佰仟"
    "万亿星辉启峰岳蓝鹏骏彩乐优品尚雅宜家美春秋今古一百惠泽沐林森川"
)
TRADE_CHARACTERS = "".join(dict.fromkeys(TRADE_CHARACTERS))  # each character once

# Fictitious road names are made from a region's short name; these real district roads are
# added where the catalogue is confident of the street they run through.
KNOWN_ROADS: dict[str, tuple[str, ...]] = {
    "youanmen": ("右安门外大街", "玉林西路", "开阳路"),
    "taipingqiao": ("丽泽路", "菜户营南路"),
    "dahongmen": ("大红门路", "大红门西路", "南顶路"),
    "nanyuan": ("南苑路", "警备东路", "槐房路"),
    "donggaodi": ("万源路",),
    "fengtai": ("丰台北路", "丰台南路", "西四环南路"),
    "changxindian": ("长辛店大街",),
    "fangzhuang": ("方庄路", "蒲方路"),
    "majiapu": ("马家堡东路", "马家堡西路", "角门路"),
    "lugouqiao": ("西四环南路",),
    "chengshousi": ("成寿寺路", "宋家庄路"),
    "shiliuzhuang": ("石榴庄路",),
    "kandan": ("看丹路",),
}

_ROAD_SUFFIXES = ("路", "南路", "北路", "东街", "西街", "中路")


def person(rng: random.Random) -> str:
    """A realistic (fictitious) Chinese personal name: surname and one or two characters."""
    surname = rng.choices(_SURNAME_CHOICES, _SURNAME_WEIGHTS)[0]
    count = 2 if rng.random() < 0.7 else 1
    return surname + "".join(rng.choice(GIVEN_CHARACTERS) for _ in range(count))


def trade_name(rng: random.Random) -> str:
    """A two-character trade name (字号), sometimes three."""
    count = 3 if rng.random() < 0.12 else 2
    chars = rng.sample(TRADE_CHARACTERS, count)
    return "".join(chars)


def road(rng: random.Random, region_code: str, region_name: str) -> str:
    """A road in the region: a known one or one named after the region (fictitious)."""
    known = KNOWN_ROADS.get(region_code, ())
    if known and rng.random() < 0.6:
        return rng.choice(known)
    short = region_name.removesuffix("街道").removesuffix("镇")
    return short + rng.choice(_ROAD_SUFFIXES)
