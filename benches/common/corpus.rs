//! Deterministic generator of Chinese regional-news corpora for testing
//! near-duplicate detection at volume (benchmarks and integration tests).
//!
//! Four styles:
//! - [`templated`]: template-filled government and union news, the hard
//!   negative (every item is its own story);
//! - [`same_event`]: separately written reports of one event by several
//!   outlets (every item is its own story);
//! - [`syndicated`]: one 新华日报/新华社 story and 1–3 portal reposts with
//!   headline suffixes and page-furniture variations (true copies);
//! - [`adversarial`]: labelled near-misses (series parts, one notice for
//!   several provinces or modules; series parts of summary-only feeds share
//!   their introduction) and hard true copies (broken markup, rewritten
//!   headlines).
//!
//! The text is invented in the style of Jiangsu regional news; places are
//! real, people, firms and figures are not. Only the standard library is
//! used, so the file also builds on its own:
//! `rustc --edition 2024 --test benches/common/corpus.rs`.

use std::fmt::Write as _;

/// One generated item. Items with equal `story` are the same story (true
/// copies); all others are distinct stories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doc {
    pub story: u64,
    pub title: String,
    pub html: String,
    pub link: String,
    pub outlet: String,
    /// Seconds before a base time (0 = newest), in `0..SPAN`.
    pub age: i64,
}

/// Ages are spread over this many seconds (3 days).
pub const SPAN: i64 = 259_200;

const HOUR: i64 = 3_600;

// ---------------------------------------------------------------------------
// PRNG (splitmix64) and story ids
// ---------------------------------------------------------------------------

fn fmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn mix(a: u64, b: u64) -> u64 {
    fmix(a.wrapping_add(0x9E37_79B9_7F4A_7C15) ^ fmix(b ^ 0x632B_E59B_D9B4_E019))
}

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(fmix(seed))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        fmix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + ((u128::from(self.next_u64()) * u128::from(hi - lo + 1)) >> 64) as u64
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    fn pick_ref<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }

    /// Two distinct indices in `0..n` (`n >= 2`).
    fn two(&mut self, n: usize) -> (usize, usize) {
        let a = self.below(n);
        let b = (a + 1 + self.below(n - 1)) % n;
        (a, b)
    }
}

const STYLE_TEMPLATED: u64 = 1;
const STYLE_SAME_EVENT: u64 = 2;
const STYLE_SYNDICATED: u64 = 3;
const STYLE_ADVERSARIAL: u64 = 4;

/// Style in the top 4 bits, 20 bits of the seed's hash, then a 40-bit local
/// number that is unique within one call sequence for a seed.
fn story_id(style: u64, seed: u64, local: u64) -> u64 {
    assert!(local < 1 << 40, "corpus: too many items");
    (style << 60) | ((fmix(seed) & 0xF_FFFF) << 40) | local
}

fn rng_for(seed: u64, style: u64, a: u64, b: u64) -> Rng {
    Rng::new(mix(mix(mix(seed, style), a), b))
}

// ---------------------------------------------------------------------------
// Slot templates: `$X` (one ASCII letter) is replaced by slot X.
// Upper case: names and per-item facts; lower case: numbers (see NUMS).
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Num {
    /// Integer in lo..=hi.
    Int(u64, u64),
    /// Tenths in lo..=hi, written with one decimal.
    Dec(u64, u64),
    /// Minutes 00..=59.
    Pad2,
}

const NUMS: [(u8, Num); 26] = [
    (b'a', Num::Int(2, 30)),
    (b'b', Num::Int(10, 99)),
    (b'c', Num::Int(3, 60)),
    (b'd', Num::Int(100, 999)),
    (b'e', Num::Int(200, 5000)),
    (b'f', Num::Int(1000, 99_999)),
    (b'g', Num::Int(1, 12)),
    (b'h', Num::Int(1, 28)),
    (b'i', Num::Int(55, 78)),
    (b'j', Num::Int(2, 9)),
    (b'k', Num::Dec(10, 999)),
    (b'l', Num::Int(18, 45)),
    (b'm', Num::Int(4, 8)),
    (b'n', Num::Int(10, 300)),
    (b'o', Num::Pad2),
    (b'p', Num::Dec(10, 450)),
    (b'q', Num::Dec(600, 995)),
    (b'r', Num::Int(10, 25)),
    (b's', Num::Int(30, 180)),
    (b't', Num::Int(15, 60)),
    (b'u', Num::Int(40, 120)),
    (b'v', Num::Int(2019, 2024)),
    (b'w', Num::Int(1000, 9999)),
    (b'x', Num::Dec(5, 99)),
    (b'y', Num::Int(2, 6)),
    (b'z', Num::Int(60_000_000, 89_999_999)),
];

struct Slots {
    v: Vec<String>,
    alt: std::cell::Cell<u64>,
}

impl Slots {
    fn new() -> Self {
        Slots {
            v: (0..128).map(|_| String::with_capacity(48)).collect(),
            alt: std::cell::Cell::new(0),
        }
    }

    fn buf(&mut self, k: u8) -> &mut String {
        let b = &mut self.v[usize::from(k)];
        b.clear();
        b
    }

    fn set(&mut self, k: u8, s: &str) {
        self.buf(k).push_str(s);
    }

    fn int(&mut self, k: u8, n: u64) {
        write!(self.buf(k), "{n}").unwrap();
    }

    /// Fill `tpl` with the current slots and store the result in slot `k`.
    fn set_fill(&mut self, k: u8, tpl: &str) {
        let mut s = std::mem::take(&mut self.v[usize::from(k)]);
        s.clear();
        self.fill(&mut s, tpl);
        self.v[usize::from(k)] = s;
    }

    /// Draw every lower-case number slot (and the option stream) anew.
    fn roll(&mut self, rng: &mut Rng) {
        self.alt.set(rng.next_u64());
        for &(k, spec) in &NUMS {
            let b = self.buf(k);
            match spec {
                Num::Int(lo, hi) => write!(b, "{}", rng.range(lo, hi)),
                Num::Dec(lo, hi) => {
                    let t = rng.range(lo, hi);
                    write!(b, "{}.{}", t / 10, t % 10)
                }
                Num::Pad2 => write!(b, "{:02}", rng.below(60)),
            }
            .unwrap();
        }
    }

    /// Write `tpl` to `out`: `$X` is slot X, `[a|b|c]` one of the options
    /// (no nesting; options may hold slots).
    fn fill(&self, out: &mut String, tpl: &str) {
        let b = tpl.as_bytes();
        let (mut i, mut start) = (0, 0);
        while let Some(off) = b[i..].iter().position(|&c| c == b'$' || c == b'[') {
            i += off;
            out.push_str(&tpl[start..i]);
            if b[i] == b'$' {
                let k = b[i + 1];
                let val = &self.v[usize::from(k)];
                debug_assert!(!val.is_empty(), "slot ${} unset in {tpl}", k as char);
                out.push_str(val);
                i += 2;
            } else {
                let end = i + tpl[i..].find(']').expect("unclosed [ in template");
                let opts = &tpl[i + 1..end];
                let pick = self.alt(opts.split('|').count());
                self.fill(out, opts.split('|').nth(pick).unwrap_or(""));
                i = end + 1;
            }
            start = i;
        }
        out.push_str(&tpl[start..]);
    }

    /// Choice among `n` template options, from a stream seeded by `roll`.
    fn alt(&self, n: usize) -> usize {
        let mut r = Rng(self.alt.get());
        let k = r.below(n);
        self.alt.set(r.0);
        k
    }

    fn filled(&self, tpl: &str) -> String {
        let mut s = String::with_capacity(tpl.len() + 64);
        self.fill(&mut s, tpl);
        s
    }
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

struct City {
    name: &'static str,
    area: &'static str,
    districts: &'static [&'static str],
}

const CITIES: [City; 13] = [
    City {
        name: "南京",
        area: "025",
        districts: &[
            "玄武区",
            "秦淮区",
            "建邺区",
            "鼓楼区",
            "浦口区",
            "栖霞区",
            "雨花台区",
            "江宁区",
            "六合区",
            "溧水区",
            "高淳区",
        ],
    },
    City {
        name: "苏州",
        area: "0512",
        districts: &[
            "姑苏区",
            "虎丘区",
            "吴中区",
            "相城区",
            "吴江区",
            "苏州工业园区",
            "常熟市",
            "张家港市",
            "昆山市",
            "太仓市",
        ],
    },
    City {
        name: "无锡",
        area: "0510",
        districts: &[
            "梁溪区",
            "锡山区",
            "惠山区",
            "滨湖区",
            "新吴区",
            "江阴市",
            "宜兴市",
        ],
    },
    City {
        name: "常州",
        area: "0519",
        districts: &["天宁区", "钟楼区", "新北区", "武进区", "金坛区", "溧阳市"],
    },
    City {
        name: "镇江",
        area: "0511",
        districts: &["京口区", "润州区", "丹徒区", "丹阳市", "扬中市", "句容市"],
    },
    City {
        name: "扬州",
        area: "0514",
        districts: &["广陵区", "邗江区", "江都区", "仪征市", "高邮市", "宝应县"],
    },
    City {
        name: "泰州",
        area: "0523",
        districts: &["海陵区", "高港区", "姜堰区", "兴化市", "靖江市", "泰兴市"],
    },
    City {
        name: "南通",
        area: "0513",
        districts: &[
            "崇川区",
            "通州区",
            "海门区",
            "如东县",
            "启东市",
            "如皋市",
            "海安市",
        ],
    },
    City {
        name: "盐城",
        area: "0515",
        districts: &[
            "亭湖区",
            "盐都区",
            "大丰区",
            "响水县",
            "滨海县",
            "阜宁县",
            "射阳县",
            "建湖县",
            "东台市",
        ],
    },
    City {
        name: "淮安",
        area: "0517",
        districts: &[
            "清江浦区",
            "淮安区",
            "淮阴区",
            "洪泽区",
            "涟水县",
            "盱眙县",
            "金湖县",
        ],
    },
    City {
        name: "宿迁",
        area: "0527",
        districts: &["宿城区", "宿豫区", "沭阳县", "泗阳县", "泗洪县"],
    },
    City {
        name: "徐州",
        area: "0516",
        districts: &[
            "鼓楼区",
            "云龙区",
            "贾汪区",
            "泉山区",
            "铜山区",
            "丰县",
            "沛县",
            "睢宁县",
            "新沂市",
            "邳州市",
        ],
    },
    City {
        name: "连云港",
        area: "0518",
        districts: &["连云区", "海州区", "赣榆区", "东海县", "灌云县", "灌南县"],
    },
];

/// Cities with a metro (indices into CITIES).
const METRO_CITIES: [usize; 6] = [0, 1, 2, 3, 7, 11];

/// (industry, the word a firm of that industry has in its name)
const INDUSTRIES: [(&str, &str); 16] = [
    ("养老护理", "康养"),
    ("新能源汽车", "新能源"),
    ("集成电路", "微电子"),
    ("生物医药", "生物医药"),
    ("高端装备", "智能装备"),
    ("纺织服装", "纺织"),
    ("光伏", "光伏"),
    ("物流快递", "物流"),
    ("软件和信息服务", "软件"),
    ("新材料", "新材料"),
    ("建筑施工", "建设工程"),
    ("绿色食品", "食品"),
    ("船舶海工", "船舶"),
    ("精细化工", "化工"),
    ("家政服务", "家政"),
    ("商贸流通", "商贸"),
];

const BRAND1: [&str; 24] = [
    "华", "恒", "中", "天", "瑞", "远", "金", "鑫", "宏", "润", "东", "盛", "新", "永", "苏", "锦", "嘉",
    "博", "海", "万", "国", "富", "长", "宇",
];
const BRAND2: [&str; 24] = [
    "达", "泰", "信", "通", "源", "科", "创", "利", "丰", "德", "辰", "安", "联", "鼎", "阳", "晟", "诚",
    "兴", "邦", "微", "康", "禾", "程", "昇",
];

const SURNAMES: [&str; 64] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
    "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢",
    "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "顾", "钱", "缪", "葛",
];
const GIVEN: [&str; 64] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀", "霞", "平", "刚", "桂", "建", "华", "志", "红", "玉", "文", "海", "燕", "晓", "东", "俊", "峰",
    "鹏", "辉", "婷", "雪", "琳", "浩", "宇", "欣", "佳", "怡", "斌", "凯", "亮", "成", "国", "荣", "春",
    "新", "立", "振", "庆", "瑶", "晨", "梅", "丹", "嘉", "昊", "雯", "岚", "锋",
];

const ROADS: [&str; 24] = [
    "人民路",
    "中山路",
    "长江路",
    "建设路",
    "解放路",
    "淮海路",
    "黄河路",
    "珠江路",
    "新华路",
    "健康路",
    "青年路",
    "和平路",
    "迎宾大道",
    "世纪大道",
    "滨江大道",
    "文化路",
    "工业大道",
    "金山路",
    "太湖大道",
    "运河路",
    "学府路",
    "通江路",
    "东环路",
    "北京路",
];

const WEATHER: [&str; 8] = [
    "小雨转阴",
    "阴有阵雨",
    "多云转小雨",
    "中到大雨",
    "雨夹雪",
    "有大雾",
    "雷阵雨转多云",
    "阴到多云",
];

const VILLAGES: [&str; 12] = [
    "永丰", "新塘", "红星", "三河", "桃园", "沙溪", "杨庄", "后湖", "东庄", "陈集", "梅堰", "柳湾",
];

const SCENIC: [&str; 8] = [
    "古运河风光带",
    "湿地公园",
    "文化创意园",
    "历史文化街区",
    "植物园",
    "老城墙遗址公园",
    "滨江风光带",
    "森林公园",
];

/// Feed outlets for `templated` and `same_event`: (name, host, home city).
const OUTLETS: [(&str, &str, usize); 16] = [
    ("中国江苏网", "www.jschina.com.cn", 0),
    ("苏州都市网", "www.szdushi.com.cn", 1),
    ("南京日报", "www.njdaily.cn", 0),
    ("名城苏州网", "news.2500sz.com", 1),
    ("无锡新传媒", "www.wxrb.com", 2),
    ("中国常州网", "www.cz001.com.cn", 3),
    ("镇江新闻网", "www.zjnews.cn", 4),
    ("扬州网", "www.yznews.com.cn", 5),
    ("泰州日报网", "www.taizhou.com.cn", 6),
    ("江海明珠网", "www.ntjoy.com", 7),
    ("盐城新闻网", "www.ycnews.cn", 8),
    ("淮安新闻网", "www.hynews.net", 9),
    ("宿迁网", "www.sqnews.cn", 10),
    ("中国徐州网", "www.cnxz.com.cn", 11),
    ("连云港传媒网", "www.lyg01.net", 12),
    ("江苏工人报", "www.jsgrb.com", 0),
];

/// Reposting portals: (outlet, host, headline prefix, headline suffix).
const PORTALS: [(&str, &str, &str, &str); 10] = [
    ("新华报业网", "www.xhby.net", "", "_新华报业网"),
    ("苏州都市网", "www.szdushi.com.cn", "", " - 苏州都市网"),
    ("苏州都市网", "www.szdushi.com.cn", "", "_江苏资讯_苏州都市网"),
    ("中国江苏网", "www.jschina.com.cn", "【江苏】", ""),
    ("中国江苏网", "www.jschina.com.cn", "", "_中国江苏网"),
    ("荔枝网", "news.jstv.com", "", " - 荔枝网"),
    ("交汇点", "jnews.xhby.net", "", " | 交汇点"),
    ("扬子晚报网", "www.yangtse.com", "【聚焦】", ""),
    ("现代快报网", "www.xdkb.net", "", "-现代快报网"),
    ("江南时报", "www.jntimes.cn", "【关注】", "_江南时报"),
];

fn person(rng: &mut Rng, out: &mut String) {
    out.push_str(rng.pick(&SURNAMES));
    out.push_str(rng.pick(&GIVEN));
    if rng.chance(65) {
        out.push_str(rng.pick(&GIVEN));
    }
}

fn person_string(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(12);
    person(rng, &mut s);
    s
}

fn set_person(sl: &mut Slots, k: u8, rng: &mut Rng) {
    person(rng, sl.buf(k));
}

fn set_enterprise(sl: &mut Slots, k: u8, rng: &mut Rng, city: &str, word: &str) {
    let form = rng.below(5);
    let (b1, b2) = (rng.pick(&BRAND1), rng.pick(&BRAND2));
    let b = sl.buf(k);
    if form == 0 {
        b.push_str(city);
    }
    b.push_str(b1);
    b.push_str(b2);
    b.push_str(word);
    b.push_str(match form {
        0 | 3 => "有限公司",
        1 => "科技股份有限公司",
        2 => "集团",
        _ => "科技有限公司",
    });
}

/// Set the common entity slots: C city, A area code, D district, I industry,
/// E and F firms, R and Q people. Returns the city index.
fn set_entities(sl: &mut Slots, rng: &mut Rng, city: usize) {
    let c = &CITIES[city];
    sl.set(b'C', c.name);
    sl.set(b'A', c.area);
    sl.set(b'D', rng.pick(c.districts));
    let (ind, word) = rng.pick(&INDUSTRIES);
    sl.set(b'I', ind);
    set_enterprise(sl, b'E', rng, c.name, word);
    let word2 = rng.pick(&INDUSTRIES).1;
    set_enterprise(sl, b'F', rng, c.name, word2);
    set_person(sl, b'R', rng);
    set_person(sl, b'Q', rng);
}

fn set_roads(sl: &mut Slots, rng: &mut Rng) {
    let (g, h) = rng.two(ROADS.len());
    sl.set(b'G', ROADS[g]);
    sl.set(b'H', ROADS[h]);
    let mut j = rng.below(ROADS.len());
    while j == g || j == h {
        j = (j + 1) % ROADS.len();
    }
    sl.set(b'J', ROADS[j]);
}

// ---------------------------------------------------------------------------
// Markup
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Markup {
    P,
    PIndent,
    PNbsp,
    PStyle,
    OneP,
    Br,
    BrBr,
    PNewline,
}

const REPOST_MARKUPS: [Markup; 10] = [
    Markup::P,
    Markup::P,
    Markup::PIndent,
    Markup::PNbsp,
    Markup::PStyle,
    Markup::OneP,
    Markup::OneP,
    Markup::Br,
    Markup::BrBr,
    Markup::PNewline,
];

fn render(paras: &[String], m: Markup) -> String {
    let mut s = String::with_capacity(paras.iter().map(|p| p.len() + 40).sum());
    match m {
        Markup::OneP => {
            s.push_str("<p>");
            for p in paras {
                s.push_str(p);
            }
            s.push_str("</p>");
        }
        Markup::Br | Markup::BrBr => {
            let sep = if matches!(m, Markup::Br) {
                "<br>"
            } else {
                "<br/><br/>"
            };
            if matches!(m, Markup::BrBr) {
                s.push_str("<p>");
            }
            for (i, p) in paras.iter().enumerate() {
                if i > 0 {
                    s.push_str(sep);
                }
                s.push_str(p);
            }
            if matches!(m, Markup::BrBr) {
                s.push_str("</p>");
            }
        }
        _ => {
            let (open, sep) = match m {
                Markup::PIndent => ("<p>　　", ""),
                Markup::PNbsp => ("<p>&nbsp;&nbsp;&nbsp;&nbsp;", ""),
                Markup::PStyle => ("<p style=\"text-indent:2em;\">", ""),
                Markup::PNewline => ("<p>", "\n"),
                _ => ("<p>", ""),
            };
            for (i, p) in paras.iter().enumerate() {
                if i > 0 {
                    s.push_str(sep);
                }
                s.push_str(open);
                s.push_str(p);
                s.push_str("</p>");
            }
        }
    }
    s
}

/// Full-width punctuation to half-width: only ，：；（） (as the seed
/// article's portal does) or also 。！？“”.
fn halfwidth(s: &str, all: bool) -> String {
    s.chars()
        .map(|c| match c {
            '，' => ',',
            '：' => ':',
            '；' => ';',
            '（' => '(',
            '）' => ')',
            '。' if all => '.',
            '！' if all => '!',
            '？' if all => '?',
            '“' | '”' if all => '"',
            _ => c,
        })
        .collect()
}

/// Visible text of an item's HTML: tags removed, the common entities
/// decoded (`&amp;nbsp;` twice), all whitespace (including U+3000) removed.
pub fn visible_text(html: &str) -> String {
    let mut t = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => t.push(c),
            _ => {}
        }
    }
    let t = t.replace("&amp;", "&").replace("&amp;", "&");
    let t = t
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"");
    t.chars().filter(|c| !c.is_whitespace()).collect()
}

// ---------------------------------------------------------------------------
// Style 1: templated government / union news
// ---------------------------------------------------------------------------

struct Headline {
    tpl: &'static str,
    cat: usize,
    n: (u64, u64),
    m: (u64, u64),
    k: (u64, u64),
}

const HEADLINES: [Headline; 8] = [
    Headline {
        tpl: "$C$D举办$I行业职工技能竞赛 $N名一线职工同台比武$S",
        cat: 0,
        n: (80, 1200),
        m: (12, 90),
        k: (6, 30),
    },
    Headline {
        tpl: "$C市总工会走访慰问$D$I一线职工 送去慰问金$N万元$S",
        cat: 0,
        n: (12, 260),
        m: (10, 80),
        k: (6, 30),
    },
    Headline {
        tpl: "$C发布2026年$I领域重点项目清单 $N个项目入选$S",
        cat: 1,
        n: (12, 160),
        m: (20, 900),
        k: (20, 400),
    },
    Headline {
        tpl: "$D$N个$I重点项目集中开工 总投资$M亿元$S",
        cat: 1,
        n: (5, 60),
        m: (30, 800),
        k: (20, 400),
    },
    Headline {
        tpl: "$D开展$I企业安全生产专项检查 排查整改隐患$N处$S",
        cat: 2,
        n: (20, 600),
        m: (30, 400),
        k: (10, 200),
    },
    Headline {
        tpl: "$C交警发布出行提示 $D$N条道路$g月$h日起施工管制$S",
        cat: 3,
        n: (2, 12),
        m: (40, 600),
        k: (10, 200),
    },
    Headline {
        tpl: "关于召开$C$I产业高质量发展推进会的通知$S",
        cat: 4,
        n: (50, 300),
        m: (10, 30),
        k: (2, 5),
    },
    Headline {
        tpl: "$D举行$I专场招聘会 $N家企业提供岗位$M个$S",
        cat: 5,
        n: (20, 200),
        m: (300, 6000),
        k: (30, 80),
    },
];

/// Boilerplate sentences per headline category (4 of 6 go into a body).
const BOILER: [[&str; 6]; 6] = [
    [
        "活动现场，来自$M家企业的一线职工参加了技能展示和经验交流。",
        "近年来，$C各级工会围绕$I等重点产业，广泛开展劳动和技能竞赛，推动产业工人队伍建设改革走深走实。",
        "$C市总工会相关负责人表示，将持续深化职工服务工作，引导广大职工在推动高质量发展中建功立业。",
        "下一步，$D将加大对$I领域一线职工的关心关爱力度，进一步完善技能人才培养和激励机制。",
        "此次活动由$C市总工会、$D总工会联合主办，$D人社局、工信局等单位协办，共设置$K个服务项目。",
        "参加活动的职工纷纷表示，将以更加饱满的热情投入到本职工作中，为$C经济社会发展贡献力量。",
    ],
    [
        "今年，$C共安排$I等领域重点项目$N个，年度计划投资$M亿元，项目数量和投资规模均创近年新高。",
        "此次推进的项目涵盖研发中心、生产基地、公共服务平台等类型，建成后将进一步完善$C$I产业链条。",
        "$C市发展改革委相关负责人表示，将实行重点项目“一项目一专班”推进机制，协调解决用地、资金等要素保障问题。",
        "下一步，$D将加大对$I领域重点项目的服务保障力度，确保项目早开工、早投产、早见效。",
        "据介绍，项目清单实行动态管理，每季度对推进情况进行一次调度，对进度滞后的项目督促整改。",
        "近年来，$D坚持把项目建设作为稳增长的重要抓手，$I产业规模持续扩大，已集聚相关企业$K家。",
    ],
    [
        "检查组采取“四不两直”方式，深入$I企业生产车间和仓储区域，重点检查消防设施、用电安全和危险化学品管理情况。",
        "对检查中发现的问题，检查组当场反馈，要求企业建立问题清单，明确整改责任人和整改时限。",
        "$D应急管理局相关负责人表示，安全生产责任重于泰山，各企业要切实落实安全生产主体责任。",
        "此次专项检查共出动检查人员$M人次，检查企业$K家，发现一般隐患$N处。",
        "下一步，$D将持续加大执法检查力度，对整改不到位的企业依法依规严肃处理。",
        "据悉，专项检查将持续至$g月底，覆盖全区$I领域规模以上企业。",
    ],
    [
        "受降雨天气和道路施工双重影响，$C部分路段通行压力增大，驾驶人应减速慢行，保持安全车距。",
        "交管、气象等部门将加强会商研判，及时发布路况和天气信息，市民出行前可通过官方渠道查询。",
        "管制期间，途经$D的车辆请提前绕行，相关公交线路临时调整方案将另行发布。",
        "相关部门提醒，户外作业单位要做好防范措施，$I等行业企业应合理安排生产和运输计划。",
        "截至目前，$C已出动交警、路政人员$M人次，在主要路口设置临时指示牌$K块。",
        "如遇突发情况，市民可拨打110或12122求助，交管部门将第一时间到场处置。",
    ],
    [
        "为深入推进$I产业高质量发展，经研究，定于$g月$h日在$C召开全市$I产业高质量发展推进会，现将有关事项通知如下。",
        "参会人员为各区分管负责同志，$I领域重点企业负责人，以及市有关部门负责同志，共约$N人。",
        "请各单位于会前$K个工作日将参会回执报送至$C市工业和信息化局，逾期视为不参会。",
        "会议主要内容为通报$I产业发展情况，部署下阶段重点工作，并安排典型企业作交流发言。",
        "请参会人员提前$M分钟到达会场签到，会议期间请将手机调至静音状态。",
        "会议材料将于会前统一发放，请各单位按要求做好准备，确保会议取得实效。",
    ],
    [
        "本次招聘会采取线上线下相结合的方式举办，求职者可现场投递简历，也可通过“$C就业”小程序在线应聘。",
        "招聘岗位涵盖研发、生产、销售、管理等类别，其中本科及以上学历岗位占比约$K%。",
        "现场还设置了政策咨询、职业指导、档案托管等服务台，为求职者提供一站式服务。",
        "$D人社局相关负责人表示，将常态化开展“就业服务进园区”活动，帮助$I企业解决用工需求。",
        "据统计，今年以来$D已累计举办各类招聘活动$c场，帮助$e人达成就业意向。",
        "主办方提醒，求职者应通过正规渠道获取招聘信息，警惕虚假招聘和收费陷阱。",
    ],
];

/// The one sentence of substance per item, per category.
const SUBSTANCE: [[&str; 3]; 6] = [
    [
        "经过$y轮角逐，$E的$R以$q分的成绩获得第一名，按规定将直接晋升一个技能等级，并获得$w元奖金。",
        "在$E，工会干部为$c名困难职工送去米、油等慰问品，并详细了解职工$R一家的生活和就医情况。",
        "$E工会主席$R介绍，该企业今年已有$n名职工晋升技能等级，职工月平均收入同比增长$x%。",
    ],
    [
        "其中，$E投资建设的$I生产基地项目总投资$k亿元，达产后预计年产值$b亿元，可新增就业岗位$e个。",
        "位于$D的$E研发中心项目已完成主体结构施工，计划$g月底前投入使用，项目负责人$R介绍，目前现场有$d名工人同时作业。",
        "$E二期项目新建厂房$x万平方米，新上自动化生产线$c条，投产后企业产能将提升$p%，负责人$R说。",
    ],
    [
        "在$E，检查人员发现部分消防通道被货物占用，$c只灭火器压力不足，已责令企业在$y日内完成整改。",
        "$E负责人$R表示，企业已投入$d万元更新$c套监控和报警设备，并组织全体员工开展应急演练。",
        "检查中，$E因未按规定开展安全培训被处以$x万元罚款，另有$j家企业被约谈，负责人$R已签署整改承诺书。",
    ],
    [
        "据$C市气象台预报，$h日夜里到次日白天，$D$W，最低气温$j℃，最高气温$r℃，东北风$y级。",
        "其中，$G（$H至$J段）将于$h日起每晚22时至次日6时实施全封闭施工，施工单位为$F。",
        "今日早高峰，$D$G与$H交叉口发生一起$j车追尾事故，造成车流拥堵约$t分钟，所幸无人员伤亡。",
    ],
    [
        "会议地点：$D政务服务中心$j楼第$c会议室；联系人：$R，联系电话：$A-$z。",
        "会上，$E等$j家企业将签订合作协议，$R将就$I产业链协同发展作专题报告。",
        "会议期间将发布《$C$I产业发展三年行动计划》，明确到2028年产业规模突破$d亿元的目标。",
    ],
    [
        "$E人力资源经理$R介绍，企业今年计划招聘$n名技术工人，月薪最高可达$w元，并提供免费住宿。",
        "现场，$R等$c名求职者与$E达成初步就业意向，其中$j人为应届高校毕业生。",
        "$E带来了$c个岗位，负责人$R说，一上午就收到简历$d份，“比预想的要火爆”。",
    ],
];

const CONSTRUCTION: [&str; 4] = [
    "市政建设集团有限公司",
    "路桥工程有限公司",
    "交通建设有限公司",
    "城建工程有限公司",
];

fn serial(out: &mut String, form: usize, n: u64) {
    match form {
        0 => write!(out, "（第{n}期）"),
        1 => write!(out, "[2026-{n}]"),
        2 => write!(out, "〔2026〕{n}号"),
        _ => write!(out, "（编号：JS{n}）"),
    }
    .unwrap();
}

/// Style 1: template-filled government/union news (the hard negative).
///
/// Items for feed `feed` (0-based) of a set, `n` items. A headline is one of
/// 8 templates (union activities, key-project lists, safety inspections,
/// traffic notices, meeting notices, job fairs) filled with a city, a
/// district, an industry and numbers, plus a serial tag (`（第37期）`,
/// `[2026-1147]`, …) that is unique per (feed, index). A body is 4
/// boilerplate sentences of the headline's category and one sentence of
/// substance with the item's own firm, person and figures (150–400
/// characters), as `<p>` per sentence, one `<p>`, `<br>`-separated, indented
/// or styled. Every item is its own story; links are
/// `http://{host}/news/{feed}/{i}.html`.
///
/// # Panics
///
/// If `feed >= 65536` or `n > 1_000_000`.
pub fn templated(seed: u64, feed: usize, n: usize) -> Vec<Doc> {
    assert!(
        feed < 1 << 16 && n <= 1_000_000,
        "corpus::templated: feed < 65536, n <= 1e6"
    );
    let mut rng = rng_for(seed, STYLE_TEMPLATED, feed as u64, 0);
    let (outlet, host, home) = OUTLETS[feed % OUTLETS.len()];
    let mut sl = Slots::new();
    let slot_width = (SPAN / n.max(1) as i64).max(1) as usize;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let city = if rng.chance(60) {
            home
        } else {
            rng.below(CITIES.len())
        };
        set_entities(&mut sl, &mut rng, city);
        sl.roll(&mut rng);
        let h = rng.pick_ref(&HEADLINES);
        sl.int(b'N', rng.range(h.n.0, h.n.1));
        sl.int(b'M', rng.range(h.m.0, h.m.1));
        sl.int(b'K', rng.range(h.k.0, h.k.1));
        let tag = (feed as u64) * 1_000_000 + i as u64 + 1;
        let form = rng.below(4);
        serial(sl.buf(b'S'), form, tag);
        if h.cat == 3 {
            sl.set(b'W', rng.pick(&WEATHER));
            set_roads(&mut sl, &mut rng);
            let c = CITIES[city].name;
            let f = sl.buf(b'F');
            f.push_str(c);
            f.push_str(rng.pick(&CONSTRUCTION));
        }
        let mut title = String::with_capacity(96);
        sl.fill(&mut title, h.tpl);

        // 4 of the 6 boilerplate sentences, in their order, and the
        // substance sentence somewhere after the first.
        let mut idx = [0usize, 1, 2, 3, 4, 5];
        for j in 0..4 {
            let r = j + rng.below(6 - j);
            idx.swap(j, r);
        }
        idx[..4].sort_unstable();
        let pos = 1 + rng.below(4);
        let substance = rng.pick(&SUBSTANCE[h.cat]);
        let style = rng.below(10);
        let mut html = String::with_capacity(1200);
        let mut b = 0;
        for j in 0..5 {
            match style {
                0..=3 => html.push_str("<p>"),
                5 if j == 0 => html.push_str("<p>"),
                6 if j > 0 => html.push_str("<br>"),
                7 => html.push_str("<p>　　"),
                8 | 9 if j == 0 || j == 2 => html.push_str("<p style=\"text-indent:2em;\">"),
                _ => {}
            }
            if j == pos {
                sl.fill(&mut html, substance);
            } else {
                sl.fill(&mut html, BOILER[h.cat][idx[b]]);
                b += 1;
            }
            match style {
                0..=3 | 7 => html.push_str("</p>"),
                5 | 8 | 9 if j == 4 => html.push_str("</p>"),
                8 | 9 if j == 1 => html.push_str("</p>"),
                _ => {}
            }
            if style == 4 && j < 4 {
                html.push_str("<br/>");
            }
        }
        let age = (i as i64 * SPAN) / n as i64 + rng.below(slot_width) as i64;
        out.push(Doc {
            story: story_id(STYLE_TEMPLATED, seed, ((feed as u64) << 24) | i as u64),
            title,
            html,
            link: format!("http://{host}/news/{feed}/{i}.html"),
            outlet: outlet.to_string(),
            age,
        });
    }
    out
}

// ---------------------------------------------------------------------------
// Style 2: same event, separately written reports
// ---------------------------------------------------------------------------

struct Angle {
    titles: [&'static str; 2],
    paras: &'static [&'static str],
}

struct EventKind {
    names: &'static [&'static str],
    orgs: &'static [&'static str],
    /// Allowed cities (indices into CITIES); empty means all.
    cities: &'static [usize],
    x_pool: &'static [&'static str],
    yz_pool: &'static [&'static str],
    w_pool: &'static [&'static str],
    l: (u64, u64),
    n: (u64, u64),
    k: (u64, u64),
    angles: [Angle; 5],
}

const STATIONS: [&str; 20] = [
    "市民广场",
    "体育中心",
    "火车站",
    "高铁新城",
    "大学城",
    "科技园",
    "文化宫",
    "人民医院",
    "会展中心",
    "湿地公园",
    "软件园",
    "新城南",
    "博物馆",
    "中央公园",
    "金融街",
    "滨江路",
    "图书馆",
    "植物园",
    "运河公园",
    "行政中心",
];

const EVENTS: [EventKind; 4] = [
    EventKind {
        names: &["$C地铁$j号线", "$C轨道交通$j号线一期工程"],
        orgs: &["$C地铁集团", "$C市轨道交通集团"],
        cities: &METRO_CITIES,
        x_pool: &STATIONS,
        yz_pool: &STATIONS,
        w_pool: &[
            "运河记忆",
            "江南水韵",
            "书香之城",
            "工业印记",
            "山水人家",
            "千年古韵",
        ],
        l: (18, 45),
        n: (14, 32),
        k: (3, 9),
        angles: [
            Angle {
                titles: [
                    "$V开通首日 客运量[达|突破]$x万人次",
                    "首日客流$x万人次 $V运营[平稳有序|平稳|安全有序]",
                ],
                paras: &[
                    "[$B|$B当天]，$V正式[开通初期运营|开通运营|开门迎客]。[记者从$O获悉|据$O消息|$O发布的数据显示]，截至当日[18时|19时|20时]，$V[客运量达|累计运送乘客|客运量已达]$x万人次，占[全线网客运总量|线网总客流]的$p%。",
                    "[从客流分布看|从各站情况看|分车站看]，$X站、$Y站进出站客流[位居前列|最为集中|排在前两位]，其中$X站[单站|全天]进出站客流超过$w人次，[换乘客流占比较高|不少是换乘乘客|换乘客流占了相当比重]。",
                    "为应对开通初期的客流高峰，$O在早晚高峰[时段|期间]加开[临时列车|备用列车]$c列次，并在[重点车站|客流较大的车站]增派志愿者和安保人员$d人[。|，全力做好客流组织。|，引导乘客有序乘车。]",
                    "$O[运营分公司|运营部门]相关负责人[表示|介绍]，将密切关注客流变化，适时优化[行车组织|运营组织|运输组织]，[进一步缩短高峰时段行车间隔|必要时进一步压缩行车间隔|不断提升乘客出行体验]。",
                ],
            },
            Angle {
                titles: [
                    "$V今日开通运营 全长$L公里设站$N座",
                    "一文读懂$V：$N座车站、$K座换乘站",
                ],
                paras: &[
                    "[$B上午|$B9时|$B]，$V[开通运营|正式投入运营|迎来开通]。[线路起于|该线路西起|线路北起]$X站，[止于|东至|南至]$Y站，全长$L公里，共设车站$N座，其中换乘站$K座。",
                    "$V串联起$D、$Z等[区域|片区]，沿线分布着[学校、医院和大型居住社区|多所学校、医院和多个大型居住社区|产业园区、商业中心和居住社区]，开通后将[有效缓解|进一步缓解|大大缓解]$C主城区[交通压力|地面交通压力]。",
                    "据介绍，$V采用$m节编组B型列车，最高运行速度[每小时80公里|80公里/小时]，[全程运行时间约$u分钟|单程运行时间约$u分钟|从起点到终点约需$u分钟]，[车厢内设有无障碍区和充电接口|列车配备了空气净化装置和智能照明系统]。",
                    "车站设计融入[地方文化元素|城市文化元素]，$Z站以“$W”为主题，站厅[墙面以浮雕形式|以壁画和浮雕形式]展现$C的历史文化[。|，成为一道新的城市风景。|，吸引了不少乘客驻足。]",
                ],
            },
            Angle {
                titles: ["“上班路上省了$t分钟” $V开通首日乘客点赞", "搭乘$V首班车的人们"],
                paras: &[
                    "[$B清晨6时|$B一早|$B6时整]，$V首班列车从$X站[缓缓驶出|准时发车|驶出]。不少市民早早来到车站，[体验这条盼望已久的新线路|争相体验这条新线路|想要“尝个鲜”]。",
                    "家住$Z站附近的$R在$E上班，以往要[换乘两趟公交车|坐两趟公交再走一段路]，单程将近$u分钟。“现在坐地铁能省下$t分钟，还不用担心堵车。”$R[笑着说|高兴地说|告诉记者]。",
                    "[退休教师|退休职工|家住$Y站附近的]$Q特意带着孙子来坐首班车：“等这条线等了好几年，今天终于通了，[带孩子来感受一下|带孙子来坐一坐|心里特别高兴]。”",
                    "记者在$Y站看到，[身穿红马甲的志愿者|身着红色马甲的志愿者]在站厅内为乘客指路，不少乘客拿出手机[拍照留念|拍下这一刻|记录下首日乘车的场景]。",
                ],
            },
            Angle {
                titles: ["历时$y年建设 $V背后的建设者们", "$V开通 建设者讲述地下“穿针引线”"],
                paras: &[
                    "$V建设历时$y年，施工中先后穿越河道$j条，下穿既有铁路和高架桥$c处，工程难度[为近年少有|在同类工程中少见|较大]。",
                    "“最难的是$Y站附近的盾构区间，[地质条件复杂|地下水位高、土层软]，有一段时间每天只能掘进$a米。”$E项目经理$R[回忆说|说|介绍]。",
                    "据统计，施工高峰[时期|期间]全线有$e名建设者同时作业，累计完成土石方$d万立方米[，铺轨$l公里。|。|，为线路按期开通打下了基础。]",
                    "$O工程建设部负责人$Q介绍，建设中全面应用智能化监测系统，对$N座车站的施工安全实行24小时实时监控[。|，确保了工程安全和质量。]",
                ],
            },
            Angle {
                titles: ["$V开通运营 这份乘车指南请收好", "$V首末班车时间公布"],
                paras: &[
                    "$V开通后，[工作日首班车由$X站6时整发出|每天首班车6时从$X站发车]，末班车由$Y站22时$o分发出，[双休日运营时间另行安排|节假日运营时间将根据客流适时调整|高峰时段行车间隔为$j分钟]。",
                    "票价方面，$V执行$C轨道交通现行票价政策，起步价2元，[全程最高票价|最高票价]$j元，乘客可使用[交通卡、手机二维码|交通卡、银联闪付和手机二维码]等方式进站乘车。",
                    "$O提醒，开通初期部分车站周边配套设施仍在完善，乘客出行前可通过“$C地铁”App查询[实时信息|列车到站和客流信息|首末班车时间]。",
                    "此外，$K座换乘站均实现[站内换乘|同站换乘]，乘客在$Z站换乘时需按照导向标识通行，[换乘时间约$y分钟|步行约$y分钟即可完成换乘]。",
                ],
            },
        ],
    },
    EventKind {
        names: &["2026$C马拉松", "2026$C$D半程马拉松"],
        orgs: &["赛事组委会", "$C市体育局"],
        cities: &[],
        x_pool: &["$C奥体中心", "市民广场", "$C体育中心", "$C大剧院"],
        yz_pool: &[
            "$C博物馆",
            "滨江公园",
            "运河风光带",
            "中央公园",
            "老城墙遗址公园",
            "湿地公园",
            "科技新城",
        ],
        w_pool: &["奔跑吧", "跑遍全城", "一路有你"],
        l: (10, 42),
        n: (8000, 30_000),
        k: (12, 60),
        angles: [
            Angle {
                titles: ["$V鸣枪开跑 $R、$Q分获男女组冠军", "$V赛果出炉 $R夺得男子组冠军"],
                paras: &[
                    "[$B7时30分|$B清晨|$B上午]，$V在$X鸣枪[开跑|起跑]。经过激烈角逐，男子组冠军由$R[获得|摘得]，女子组冠军[由$Q获得|被$Q收入囊中]。",
                    "$R赛后[表示|接受采访时说]，今天[气温适宜|天气凉爽]，赛道平坦，[后半程一直保持稳定配速|自己后半程一直保持节奏]，“能在$C拿到冠军[非常开心|是一种缘分]”。",
                    "本次比赛共有$c名选手跑进个人最好成绩，[赛事组委会|组委会]为各组别前$j名选手颁发了[奖杯和奖金|奖牌和奖金]。",
                    "据介绍，本届赛事[获评|被评为]中国田径协会金牌赛事，赛道途经$Z等城市地标，沿途设置文艺表演点$a个[。|，展示$C的城市风貌。]",
                ],
            },
            Angle {
                titles: ["$V开跑 沿途设补给站$a个", "$N人同跑 $V保障全面到位"],
                paras: &[
                    "[$B|$B清晨]，$V鸣枪开跑，来自全国$K个城市的$N名跑者从$X出发，[沿途经过|一路途经]$Z，终点设在$Y。",
                    "为保障赛事安全，组委会沿线设置补给站$a个、医疗点$b个，配备[医护人员和志愿者|医护和志愿服务人员]$e名，[并启用AED设备$c台|并配置AED设备$c台]。",
                    "$C公安部门投入警力$d人，对赛道沿线实行分段交通管制，[确保比赛期间交通安全有序|保障赛事安全有序进行|全力做好赛事安保工作]。",
                    "[组委会相关负责人介绍|据组委会介绍]，本届赛事报名人数是参赛名额的$y倍，中签率约为$p%[。|，创历届新高。]",
                ],
            },
            Angle {
                titles: ["跑过$Z的那一刻，他们这样说", "$V赛道上的温暖瞬间"],
                paras: &[
                    "“这是我第$j次跑马拉松，$C的赛道风景太美了。”[刚刚冲过终点的|刚刚完赛的]$R说，他在$E工作，平时每周跑量在$b公里左右。",
                    "今年$i岁的$Q是本次比赛年龄较大的参赛者之一，他坚持跑步已有$r年，“[跑步让我越活越年轻|每天不跑几公里就浑身不舒服]”。",
                    "在$Z附近，不少市民自发为选手加油，有的送上[水果|水果和饮料]，有的举着写有“$C欢迎你”的标语[。|，场面十分热烈。]",
                    "[来自$C一所高校的大学生志愿者|数百名志愿者]在终点区为选手披上保温毯、发放完赛包，忙碌了整整$j个小时。",
                ],
            },
            Angle {
                titles: [
                    "$V带热假日消费 酒店入住率达$q%",
                    "跑出消费新活力 $V带动综合消费$k亿元",
                ],
                paras: &[
                    "[记者从$C市商务局获悉|据$C市商务局统计]，$V期间，全市重点监测的$c家酒店平均入住率达到$q%，$X周边餐饮门店客流明显增加。",
                    "据测算，本届赛事带动餐饮、住宿、交通、购物等综合消费约$k亿元，外地参赛选手占比约$p%[。|，“赛事经济”效应明显。]",
                    "不少外地跑者赛后选择在$C[游玩|住上一两天]，$Z、$Y等景点游客量比平日增长$b%以上。",
                    "$C文旅部门推出“跑者专属福利”，参赛选手凭参赛号码布可在赛后$y天内免费游览$j家A级景区。",
                ],
            },
            Angle {
                titles: ["$V开跑 这些路段将实施交通管制", "$B$V比赛期间交通管制公告"],
                paras: &[
                    "为保障$V顺利举行，[$C市公安局交通警察支队决定|$C警方发布通告|记者从$C交警部门获悉]，$B[5时至14时|6时至13时30分|凌晨5时至下午2时]，[对比赛沿线道路实施分段交通管制|赛道沿线道路将分时段分路段实施交通管制]。",
                    "管制期间，$G、$H等道路[禁止机动车通行|禁止机动车、非机动车通行|除持有赛事证件的车辆外禁止通行]，[途经车辆请提前绕行|过往车辆可绕行$J]，[具体恢复通行时间以现场交警指挥为准|各路段将在最后一名选手通过后逐步恢复通行]。",
                    "比赛期间，$C公交集团将调整部分线路运营时间，$c条公交线路临时[绕行或截短运营|绕行|停运]，[具体调整信息可关注“$C公交”微信公众号|沿线公交站点将张贴临时告示]。",
                    "[交管部门提醒|警方提醒]，请市民合理安排出行时间，[途经赛道沿线时服从现场民警和志愿者指挥|尽量选择公共交通出行|自驾车辆请提前规划路线]，[给选手们一个安全、畅通的比赛环境|共同为赛事营造良好环境]。",
                ],
            },
        ],
    },
    EventKind {
        names: &["$C$W大桥", "$C$W快速路", "$C$W快速通道"],
        orgs: &["$C市交通运输局", "$C交通控股集团"],
        cities: &[],
        x_pool: &[
            "$D",
            "城东新区",
            "高新区",
            "经济开发区",
            "老城区",
            "滨江新城",
            "港区",
            "空港新区",
        ],
        yz_pool: &[
            "$D",
            "城东新区",
            "高新区",
            "经济开发区",
            "老城区",
            "滨江新城",
            "港区",
            "空港新区",
        ],
        w_pool: &["东环", "北城", "运河", "滨江", "新城", "通港", "金港", "沿湖"],
        l: (3, 20),
        n: (4, 8),
        k: (2, 9),
        angles: [
            Angle {
                titles: [
                    "$V通车首日车流量$x万辆次",
                    "$V正式通车 首日通行[平稳有序|总体平稳]",
                ],
                paras: &[
                    "[$B10时|$B上午|$B]，$V正式通车。[记者从$O获悉|据$O统计]，截至当日20时，$V通行车辆达$x万辆次，[通行总体平稳有序|未发生交通拥堵和事故]。",
                    "[从通行情况看|从车流分布看]，$X方向车流略高于$Y方向，早晚高峰时段车速保持在每小时$u公里左右。",
                    "交警部门在沿线设置临时指示牌$c块，安排警力$d人次在[重点路口|主要出入口]疏导交通[。|，确保新路通行顺畅。]",
                    "$O相关负责人表示，将结合通车后的[交通流量数据|车流监测数据]，对周边路网[信号配时|交通组织]进行优化调整。",
                ],
            },
            Angle {
                titles: ["$V今日通车 全长$L公里", "$V建成通车 $X到$Y只需$t分钟"],
                paras: &[
                    "[$B|$B上午]，$V建成通车。该工程[西起|南起]$X，[东至|北至]$Y，全长$L公里，按城市快速路标准建设，设计时速$u公里。",
                    "工程总投资约$k亿元，主要包括主线桥梁、$j座互通立交和配套排水、照明、绿化等工程[。|，是今年$C重点交通项目之一。]",
                    "$V建成后，$X至$Y的车程由原来的$s分钟缩短至$t分钟，$C快速路网格局[进一步完善|更加完善]。",
                    "据介绍，工程采用装配式桥梁建造技术，预制构件工厂化率达到$q%，[有效缩短了工期、减少了扬尘污染|既缩短了工期，也减少了对周边环境的影响]。",
                ],
            },
            Angle {
                titles: ["“回家的路更顺了” $V通车沿线居民点赞", "$V通车 市民尝鲜体验"],
                paras: &[
                    "[$B上午|$B]，$V通车后不久，家住$Y的$R就开车上了路。“以前去$X上班要绕老城区，堵的时候得一个小时，今天试了一下，$t分钟就到了。”",
                    "在$E从事物流工作的$Q说，公司每天有$c辆货车往返$X和$Y，新路通车后，每年可节省燃油费用约$d万元[。|，司机们也不用再起早贪黑赶时间了。]",
                    "不少市民还特意来到路边拍照。“看着它一点点建起来，今天终于通车了，[很有感触|心里很高兴]。”家住附近的一位$i岁老人说。",
                ],
            },
            Angle {
                titles: ["$y年攻坚 $V建设者交出答卷", "$V建设背后：$e名建设者的坚守"],
                paras: &[
                    "$V于$v年开工建设，建设过程中需跨越河道、铁路和$j条城市主干道，[施工组织难度大|施工难度为近年少见]。",
                    "“主桥合龙那天，我们连续奋战了$l个小时。”$E项目总工程师$R回忆说，为了确保精度，团队对合龙段进行了$c次测量复核。",
                    "施工高峰期，现场有$e名建设者和$d台大型机械设备同时作业，项目部先后攻克了$j项技术难题[。|，其中多项工艺获得国家专利。]",
                    "$O表示，项目建设中坚持质量与安全并重，全线未发生一起安全生产责任事故[。|，工程质量验收一次合格。]",
                ],
            },
            Angle {
                titles: ["$V通车 这份出行攻略请收好", "$V今起通车 主线限速$u公里"],
                paras: &[
                    "$V全线设置$j个出入口，分别位于$G、$H和$Z附近，[车辆可在各出入口进出主线|车辆可就近驶入驶出]，[与周边道路实现快速转换|实现与城市主干道的快速连接]。",
                    "[交警部门提示|$C交警提醒]，$V主线限速每小时$u公里，匝道限速每小时[40|30]公里，[全线禁止行人、非机动车和拖拉机通行|行人、非机动车禁止驶入]。",
                    "此外，$V沿线共设置电子抓拍设备$c套，对[超速、违法变道等行为|超速、占用应急车道和违法变道等行为]进行[全天候抓拍|全天候监测抓拍]，[记者实地看到，沿线标志标线已全部施划完成|通车前已完成联网调试]。",
                    "$O提醒，通车初期部分导航软件数据尚未更新，驾驶人应注意观察道路指示标志，[按标志标线行驶|谨慎驾驶]。[另外，$V夜间照明已全部开启|$V沿线还设置了$y处紧急停车带]。",
                ],
            },
        ],
    },
    EventKind {
        names: &["2026中国（$C）$I博览会", "第$j届$C$I产业博览会"],
        orgs: &["$C市商务局", "博览会组委会"],
        cities: &[],
        x_pool: &["$C国际博览中心", "$C国际会展中心", "$C会议展览中心"],
        yz_pool: &[
            "智能制造展区",
            "国际合作展区",
            "创新成果展区",
            "产业链配套展区",
            "应用场景展区",
            "人才服务展区",
        ],
        w_pool: &["创新引领", "开放合作", "绿色低碳"],
        l: (2, 12),
        n: (200, 1500),
        k: (10, 60),
        angles: [
            Angle {
                titles: ["$V开幕 首日签约项目$c个金额$k亿元", "$V现场签约$k亿元"],
                paras: &[
                    "[$B|$B上午]，$V在$X开幕。开幕式上，$c个合作项目现场签约，签约总金额$k亿元[。|，创历届新高。]",
                    "签约项目涵盖$I研发制造、供应链配套、检验检测等领域，其中$E与$F签署的战略合作协议[金额最大|最受关注]。",
                    "$O相关负责人介绍，本届博览会还将举办$j场专业论坛和$a场供需对接活动，预计达成意向合作金额超过$d亿元。",
                ],
            },
            Angle {
                titles: ["$V开幕 $N家展商参展", "展览面积$L万平方米 $V规模创新高"],
                paras: &[
                    "[$B|$B上午]，$V开幕，展览面积$L万平方米，吸引了来自$K个国家和地区的$N家企业参展，[规模为历届之最|规模创历届新高]。",
                    "展会设置$Y、$Z等$j个主题展区，集中展示$I领域新产品、新技术和新应用[。|，并设置互动体验区。]",
                    "据介绍，本届参展的境外企业占比达$p%，世界500强企业和行业龙头企业有$c家[。|，多家企业把新品发布会放在展会上。]",
                    "展会以“$W”为主题，为期$y天，预计接待专业观众$x万人次以上。",
                ],
            },
            Angle {
                titles: ["$V上的“新面孔”", "展商说：来$V“不虚此行”"],
                paras: &[
                    "[在$Y|记者在$Y看到]，$E的展台前[围满了观众|人头攒动]。公司[销售总监|市场部经理]$R介绍，这次带来了$j款新产品，[开幕当天就接待了$d多位客户|上午就接待了$d多位客户]。",
                    "“我们第$y次参加这个展会，[每次都有新收获|每次来都能找到新客户]。”来自$F的$Q说，去年在展会上结识的合作伙伴，[今年订单增长了$b%|今年带来了$b%的订单增量]。",
                    "不少采购商表示，$V品类齐全、对接高效，为企业拓展市场提供了很好的平台[。|，明年还会再来。]",
                ],
            },
            Angle {
                titles: ["$V：这些“黑科技”值得一看", "直击$V 新技术新产品集中亮相"],
                paras: &[
                    "[走进$X|步入$X]，各类$I新产品、新技术[令人目不暇接|让人眼花缭乱]。在$Z，一款由$E研发的新产品[吸引了众多观众驻足|前排起了长队]。",
                    "“这款产品的核心部件全部实现自主研发，性能比上一代提升了$b%。”$E研发负责人$R介绍[。|，产品已获得多家客户的订单。]",
                    "[据统计|据组委会统计]，本届博览会共有$n项新产品、新技术首发首展，其中$c项为国内首创[。|，$j项达到国际先进水平。]",
                ],
            },
            Angle {
                titles: ["$V今日开幕 观展攻略请收好", "$V观展指南发布"],
                paras: &[
                    "[$V将于$B开幕|$V定于$B开幕]，为期$m天，[地点设在$X|在$X举行]，[专业观众日为前两天，公众开放日为最后一天|前两天只对专业观众开放，最后一天面向公众开放]。",
                    "[观众可通过“$C会展”公众号免费注册，凭电子证件入场|观众须提前在线实名注册，凭二维码入场]。展会期间每天[9时至17时|9时至16时30分]开放，[17时后停止入场|闭馆前半小时停止入场]。",
                    "交通方面，展馆周边设置临时停车泊位$w个，并开通$j条免费接驳巴士线路，[建议观众优先选择公共交通出行|接驳巴士每$t分钟一班]。",
                    "[据主办方介绍|组委会提醒]，展馆内设有餐饮区、休息区和寄存处，[观众可凭身份证件在服务台领取观展手册|现场还提供免费无线网络和手机充电服务]。",
                ],
            },
        ],
    },
];

/// Pick a place from `pool` into slot `k`, different from the places in `avoid`.
fn set_place(sl: &mut Slots, rng: &mut Rng, k: u8, pool: &[&str], avoid: &[u8]) {
    for _ in 0..16 {
        sl.set_fill(k, rng.pick(pool));
        let dup = avoid
            .iter()
            .any(|&a| sl.v[usize::from(a)] == sl.v[usize::from(k)]);
        if !dup {
            return;
        }
    }
}

/// Style 2: distinct same-day reports of one event by different outlets.
///
/// Item `i` of every feed reports event `i` of the seed (a metro line
/// opening, a marathon, a bridge or expressway opening, an expo) in the same
/// city on the same day, from one of 5 angles (figures, facts and scale,
/// interviews, builders' stories, guides), so feeds `f` and `f + 1` differ
/// in angle. They share named entities (line, stations, venue, organiser)
/// and stock phrases but are written separately. All distinct stories.
/// Links are `http://{host}/news/{feed}/e{i}.html`.
///
/// # Panics
///
/// If `feed >= 65536` or `n > 1_000_000`.
pub fn same_event(seed: u64, feed: usize, n: usize) -> Vec<Doc> {
    assert!(
        feed < 1 << 16 && n <= 1_000_000,
        "corpus::same_event: feed < 65536, n <= 1e6"
    );
    let (outlet, host, _) = OUTLETS[feed % OUTLETS.len()];
    let mut sl = Slots::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // The event: the same for every feed.
        let mut er = rng_for(seed, STYLE_SAME_EVENT, i as u64, u64::MAX);
        let kind = er.pick_ref(&EVENTS);
        let city = if kind.cities.is_empty() {
            er.below(CITIES.len())
        } else {
            er.pick(kind.cities)
        };
        set_entities(&mut sl, &mut er, city);
        sl.roll(&mut er);
        sl.set(b'W', er.pick(kind.w_pool));
        sl.set_fill(b'V', er.pick(kind.names));
        sl.set_fill(b'O', er.pick(kind.orgs));
        set_place(&mut sl, &mut er, b'X', kind.x_pool, &[]);
        set_place(&mut sl, &mut er, b'Y', kind.yz_pool, b"X");
        set_place(&mut sl, &mut er, b'Z', kind.yz_pool, b"XY");
        sl.int(b'L', er.range(kind.l.0, kind.l.1));
        sl.int(b'N', er.range(kind.n.0, kind.n.1));
        sl.int(b'K', er.range(kind.k.0, kind.k.1));
        let day = er.range(1, 28);
        let month = er.range(1, 12);
        write!(sl.buf(b'B'), "{month}月{day}日").unwrap();
        let rot = er.below(5);
        let base_age = er.range(0, (SPAN - 4 * HOUR - 1) as u64) as i64;

        // This outlet's report.
        let mut rng = rng_for(seed, STYLE_SAME_EVENT, i as u64, feed as u64);
        let c = CITIES[city].name;
        let word = rng.pick(&INDUSTRIES).1;
        set_enterprise(&mut sl, b'E', &mut rng, c, word);
        let word = rng.pick(&INDUSTRIES).1;
        set_enterprise(&mut sl, b'F', &mut rng, c, word);
        set_person(&mut sl, b'R', &mut rng);
        set_person(&mut sl, b'Q', &mut rng);
        set_roads(&mut sl, &mut rng);
        sl.set(b'W', rng.pick(kind.w_pool));
        sl.roll(&mut rng);
        let a = (feed + rot) % 5;
        let angle = &kind.angles[a];
        let title = sl.filled(angle.titles[(feed / 5 + rng.below(2)) % 2]);
        let mut paras: Vec<String> = angle.paras.iter().map(|p| sl.filled(p)).collect();
        if feed >= 5 {
            // A later round of angles: vary the structure too.
            if paras.len() >= 4 && rng.chance(80) {
                paras.remove(1 + rng.below(paras.len() - 1));
            }
            if rng.chance(80) {
                let other = &kind.angles[(a + 1 + rng.below(4)) % 5];
                let p = rng.pick(other.paras);
                paras.push(sl.filled(p));
            }
        }
        match rng.below(10) {
            0 | 1 => paras.insert(0, format!("□ 记者 {}", person_string(&mut rng))),
            2 | 3 => {
                let lead = format!(
                    "本报讯（记者 {} 通讯员 {}）",
                    person_string(&mut rng),
                    person_string(&mut rng)
                );
                paras[0].insert_str(0, &lead);
            }
            _ => {}
        }
        let markup = rng.pick(&[
            Markup::P,
            Markup::P,
            Markup::P,
            Markup::PIndent,
            Markup::PNewline,
            Markup::PStyle,
        ]);
        out.push(Doc {
            story: story_id(STYLE_SAME_EVENT, seed, ((feed as u64) << 24) | i as u64),
            title,
            html: render(&paras, markup),
            link: format!("http://{host}/news/{feed}/e{i}.html"),
            outlet: outlet.to_string(),
            age: base_age + rng.range(0, (4 * HOUR) as u64) as i64,
        });
    }
    out
}

// ---------------------------------------------------------------------------
// Style 3: syndicated agency stories and their reposts
// ---------------------------------------------------------------------------

struct Topic {
    /// The word in the name of firm E ("" = the firm is of industry I).
    firm: &'static str,
    titles: [&'static str; 3],
    leads: [&'static str; 2],
    body: [&'static str; 8],
}

const TOPICS: [Topic; 6] = [
    Topic {
        firm: "",
        titles: [
            "$C工会深化产业工人队伍建设改革 $x万名职工晋升技能等级",
            "$C：让一线职工从“工”变“匠”",
            "暖心聚力 $C工会为新就业形态劳动者撑起“保护伞”",
        ],
        leads: [
            "[记者从$C市总工会获悉|记者日前从$C市总工会了解到]，近年来，全市各级工会[深入推进|持续深化]产业工人队伍建设改革，累计推动$x万名职工晋升技能等级，帮助$w名农民工和一线职工提升学历层次，[职工队伍整体素质持续提升|产业工人队伍结构不断优化]。",
            "$g月$h日，$C市总工会召开[全市工会工作会议|全委（扩大）会议]。会议透露，过去一年全市新建基层工会组织$d家，新发展会员$x万人，其中新就业形态劳动者$e人，[工会组织覆盖面进一步扩大|工会工作覆盖面和影响力持续扩大]。",
        ],
        body: [
            "扎根生产一线$l年的$E[车间主任|班组长|设备主管]$R，最近借助企业推进产业工人队伍建设改革的政策“春风”，评上了高级技师，每月还能享受$w元的技能人才津贴。",
            "[迄今|截至目前]，$C已出台涉及产业工人的政策文件$c项，培育各级各类试点单位$d家，覆盖职工$k万人。去年底，$C在全省相关工作评价考核中[位居前列|获评优秀等次]。",
            "如何进一步锻造高素质产业工人？$C各级工会以劳动和技能竞赛为抓手，全年组织竞赛活动$d场，职工参与达$k万人次，创建劳模和工匠创新工作室$n家。",
            "“没有工会的法律援助，这笔误工费我可能一分钱也拿不到。”[网约车司机|货车司机|外卖骑手]$Q去年遭遇一起交通事故后讨要误工费无果，$D总工会为其提供法律援助，成功讨回补偿$x万元。",
            "针对快递员、外卖配送员等群体流动性强的特点，$C工会推行“扫码即入会”方式，并在[商圈、园区|商圈、园区和交通枢纽]建成户外劳动者服务站点$d个，提供歇脚、饮水、充电等服务。",
            "技高者多得。$C推动$e家企业签订薪酬激励集体合同，推行“能级工资”，促进职工技能水平与薪酬待遇挂钩，覆盖产业工人$k万人[。|，职工学技能的积极性明显提高。]",
            "数字赋能让服务更精准。$C工会上线的“职工之家”平台已吸引$k万名会员实名注册，职工在手机上就能申请法律援助、报名技能培训和领取普惠福利。",
            "$C市总工会相关负责人表示，下一步将聚焦$I等重点产业，[持续深化产业工人队伍建设改革|加快建设知识型、技能型、创新型产业工人队伍]，让广大职工在推动高质量发展中有更多获得感。",
        ],
    },
    Topic {
        firm: "",
        titles: [
            "$C$I产业规模突破$d亿元",
            "一季度$C规上工业产值同比增长$x%",
            "$C：$I产业链“链”出发展新动能",
        ],
        leads: [
            "[记者从$C市工业和信息化局获悉|记者日前从$C市工业和信息化局了解到]，去年全市$I产业实现产值$d亿元，同比增长$p%，集聚规模以上企业$n家，[产业规模位居全省前列|已成为全市重要的支柱产业之一]。",
            "$g月$h日，$C市统计局发布数据，一季度全市规模以上工业总产值同比增长$x%，其中$I产业产值增长$p%，[成为拉动工业增长的重要力量|增速高于全市平均水平]。",
        ],
        body: [
            "走进位于$D的$E生产车间，一条条自动化生产线高速运转，[机械臂精准抓取、焊接、检测|工人们正在紧张有序地忙碌]。企业负责人$R介绍，今年一季度企业订单同比增长$b%，生产线满负荷运转。",
            "产业集聚效应持续显现。目前，$D已形成从原材料、核心零部件到整机制造的完整产业链，上下游配套企业超过$d家，本地配套率达到$q%。",
            "项目建设是产业发展的“压舱石”。今年以来，$C新开工$I领域亿元以上项目$c个，总投资$k亿元，其中$E二期项目投产后可新增年产值$b亿元。",
            "创新是企业发展的“加速器”。$F去年研发投入占营业收入的比重达$x%，累计获得授权专利$d项，[多项产品填补了国内空白|多项技术打破了国外垄断]。",
            "为帮助企业降本增效，$C今年以来已为$I企业减免税费$k亿元，发放稳岗返还资金$w万元，并组织银企对接活动$c场，帮助企业融资$b亿元。",
            "“政府部门的服务很到位，项目从签约到开工只用了$l天。”$F[副总经理|董事长]$Q说，企业正计划在$C追加投资，建设新的研发中心和区域总部。",
            "[业内专家分析|有业内人士分析]，$C$I产业已进入规模扩张和质量提升并重的新阶段，但在高端人才、核心技术等方面仍存在短板，需进一步强化创新支撑。",
            "$C市工业和信息化局相关负责人表示，将围绕$I产业链关键环节精准招商，[加快培育一批具有核心竞争力的龙头企业|推动产业链上下游协同发展]，力争到2028年全市$I产业规模突破$w亿元。",
        ],
    },
    Topic {
        firm: "",
        titles: [
            "$C$G改造工程全面完工 通行能力提升$b%",
            "$C今年将实施交通重点工程$c项 总投资$k亿元",
            "$C加快构建现代综合交通运输体系",
        ],
        leads: [
            "[记者从$C市交通运输局获悉|记者日前从$C市交通运输局了解到]，今年全市计划实施交通重点工程$c项，年度计划投资$k亿元，涵盖高速公路、快速路、轨道交通和农村公路等领域。",
            "$g月$h日，随着最后一段路面摊铺完成，$C$G改造工程全面完工。改造后的道路由双向4车道拓宽为双向6车道，通行能力提升$b%[。|，沿线交通拥堵状况将明显改善。]",
        ],
        body: [
            "$G是连接$D与主城区的重要通道，日均车流量超过$x万辆次。改造前，道路路面破损、交叉口拥堵问题突出，早晚高峰时段车辆排队长度一度超过$d米。",
            "施工期间，项目部采取“分段施工、半幅通行”的方式，最大限度减少对市民出行的影响。施工高峰期，现场有$d名工人、$c台机械设备同时作业。",
            "“以前这段路一到下雨天就积水，现在路面平整了，还增加了非机动车道，骑电动车上班安全多了。”家住附近的市民$R说，[现在每天上下班能节省十来分钟|周边的小店生意也比以前好了]。",
            "在农村公路建设方面，$C去年新改建农村公路$d公里，改造桥梁$c座，全市$q%的行政村实现双车道四级公路覆盖，[农民群众出行更加便捷|农产品运输成本明显下降]。",
            "公共交通服务同步提升。$C今年计划新开和优化公交线路$c条，新增和更新新能源公交车$d辆，公交站点500米覆盖率达到$q%。",
            "$C市交通运输局相关负责人介绍，今年还将推进$H快速化改造等$j个项目前期工作，力争年内开工建设，进一步打通城市交通“微循环”。",
            "据介绍，工程建设中广泛应用了温拌沥青、再生骨料等绿色建材，累计利用建筑废料$x万吨，减少碳排放约$w吨，[实现了道路建设与生态保护的双赢|绿色施工水平明显提升]。",
            "记者了解到，$C还将在主要道路交叉口推广智能信号控制系统，目前已完成$n个路口改造，试点路段高峰时段平均车速提高了$p%。",
        ],
    },
    Topic {
        firm: "农业科技",
        titles: [
            "$C$D：特色产业“链”起乡村振兴路",
            "$C夏粮喜获丰收 $W村小麦亩产$d公斤",
            "$D$W村：小田变大田 种粮更有“钱”景",
        ],
        leads: [
            "[初夏时节|时下正值夏收]，走进$C$D$W村，连片的高标准农田里麦浪翻滚，收割机来回穿梭。今年全村种植小麦$w亩，预计亩产可达$d公斤[。|，又是一个丰收年。]",
            "[记者从$C市农业农村局获悉|记者日前从$C市农业农村局了解到]，今年以来，全市大力发展乡村特色产业，累计建成高标准农田$k万亩，培育农业产业化龙头企业$n家，带动农民人均增收$w元。",
        ],
        body: [
            "“以前一家一户种地，机械用不上，现在土地流转后集中连片，每亩成本能省下$d多元。”$W村党总支书记$R说，村集体去年经营性收入达到$k万元。",
            "在$E的生产基地，工人们正在分拣、包装新鲜采摘的农产品。企业负责人$Q介绍，企业与周边$c个村签订了订单合同，带动$e户农户增收。",
            "农业科技为丰收提供了有力支撑。今年$C推广优质品种$j个，主要农作物耕种收综合机械化率达到$q%，农业科技进步贡献率稳步提升。",
            "电商直播为农产品打开了新销路。$D今年已举办直播带货活动$n场，线上销售农产品$k万单，一批“土特产”走出乡村、走向全国。",
            "乡村面貌也在悄然改变。$W村先后实施了道路硬化、河道整治和农房改善工程，新建村民活动中心和健身广场$j处，村容村貌焕然一新。",
            "为破解“谁来种地”难题，$C实施新型职业农民培育工程，去年培训高素质农民$e人次，其中$p%为返乡创业青年，一批懂技术、会经营的“新农人”成为种粮主力。",
            "据统计，去年$C农村居民人均可支配收入达到$f元，同比增长$x%，增速连续多年高于城镇居民，城乡居民收入差距持续缩小。",
            "$C市农业农村局相关负责人表示，下一步将继续做好“土特产”文章，推动农业全产业链发展，[让农民更多分享产业增值收益|让农民的钱袋子越来越鼓]，为乡村全面振兴提供有力支撑。",
        ],
    },
    Topic {
        firm: "",
        titles: [
            "$C一科研团队在$I领域取得新突破",
            "$C新增高新技术企业$d家 总数突破$w家",
            "$C加快建设科技创新高地 研发投入强度达$x%",
        ],
        leads: [
            "[记者$g月$h日从$C市科技局获悉|记者从$C市科技局获悉]，去年全市新认定高新技术企业$d家，总数突破$w家，全社会研发投入占地区生产总值的比重达到$x%[。|，创新能力持续增强。]",
            "[近日|日前]，由$E牵头的$I关键技术攻关项目通过专家验收。项目团队历时$y年攻关，相关技术指标达到国内领先水平，已申请发明专利$c项。",
        ],
        body: [
            "项目负责人$R介绍，团队由$c名科研人员组成，平均年龄不到$l岁。为攻克技术难题，团队先后进行了$d次试验，“最困难的时候，连续几个月都没有进展”。",
            "科技成果加速走出实验室。去年，$C技术合同成交额达到$k亿元，同比增长$p%，一批高校院所的科研成果在本地实现产业化。",
            "在$D科技创业园，$F的研发人员正在调试新一代产品。企业创始人$Q说，园区提供了$d平方米的免租研发场地，还帮助企业对接了$j家投资机构。",
            "人才是创新的第一资源。$C去年引进各类高层次人才$e名，新建院士工作站、博士后工作站$c家，[为企业创新发展提供了有力的人才支撑|一批高端人才团队扎根企业一线]。",
            "为降低企业创新成本，$C设立规模$k亿元的科技创新基金，去年为$n家科技型中小企业提供“科技贷”支持$b亿元，[有效缓解了企业融资难题|不少企业因此渡过了研发投入期]。",
            "据悉，该技术投入应用后，可使相关产品生产成本降低约$b%，能耗降低$p%，预计每年可为企业新增产值$k亿元，[具有广阔的市场应用前景|已有多家企业表达合作意向]。",
            "$C市科技局相关负责人表示，将进一步完善“产学研用”协同创新机制，支持企业牵头组建创新联合体，推动更多科技成果转化落地[，加快打造具有影响力的产业科技创新中心。|，为高质量发展注入更强动力。]",
            "[业内专家认为|有专家认为]，$I是当前科技竞争的前沿领域，$C在这一领域已形成一定的先发优势，但仍需在基础研究和高端人才引育方面持续发力。",
        ],
    },
    Topic {
        firm: "文化旅游发展",
        titles: [
            "假期$C接待游客$k万人次 旅游收入同比增长$p%",
            "$C$D：老街区焕发新活力",
            "夜经济“点亮”$C消费新场景",
        ],
        leads: [
            "[记者从$C市文化广电和旅游局获悉|据$C市文化广电和旅游局统计]，刚刚过去的假期，全市共接待游客$k万人次，实现旅游总收入$b亿元，同比分别增长$p%和$x%。",
            "夜幕降临，$C$D的$W街区华灯初上，游客摩肩接踵。这条有着数百年历史的老街经过改造提升，去年接待游客超过$d万人次[。|，成为城市新的“流量担当”。]",
        ],
        body: [
            "景区客流持续火爆。$Z单日接待游客达到$x万人次，接近最大承载量；$Y推出的夜游项目场场爆满，门票提前$y天售罄。",
            "“我们一家从外地自驾过来，住的民宿很有特色，老板还推荐了好几家本地小吃。”来自外地的游客$R说，这次在$C玩了$y天，消费了$w元左右。",
            "乡村旅游同样受到追捧。$D的茶园采摘、农家乐和精品民宿预订量同比增长超过$b%，沿线民宿入住率达到$q%，[不少民宿周末一房难求|部分热门民宿提前半个月就已订满]。",
            "为丰富游客体验，$C推出$c条精品旅游线路，举办演艺、非遗展示等文化活动$n场，并发放文旅消费券$k万元，[吸引了大批周边游客前来打卡|有效激发了市民游客的消费热情]。",
            "$E负责人$Q介绍，街区引入老字号、文创店和特色餐饮等业态$n家，今年以来营业额同比增长$p%，夜间消费占比超过四成。",
            "从客源地看，外地游客占比达到$q%，其中上海、浙江、安徽游客居前三位，过夜游客人均停留时间为$x天，[比去年同期有所延长|不少游客选择住在古镇民宿]。",
            "文旅部门同步加强市场监管，假期期间共出动执法人员$d人次，检查旅游经营单位$n家，受理并办结游客投诉$c件，[全市旅游市场秩序总体平稳有序|游客满意度保持较高水平]。",
            "$C市文化广电和旅游局相关负责人表示，将持续推进文旅深度融合，打造更多有吸引力的消费新场景，不断擦亮城市文旅品牌，让更多游客“来了还想来”。",
        ],
    },
];

/// Entities of one article: the common ones plus roads, a village or street
/// name and two scenic spots.
fn set_article_entities(sl: &mut Slots, rng: &mut Rng, t: &Topic) {
    let city = rng.below(CITIES.len());
    set_entities(sl, rng, city);
    if !t.firm.is_empty() {
        set_enterprise(sl, b'E', rng, CITIES[city].name, t.firm);
    }
    set_roads(sl, rng);
    sl.set(b'W', rng.pick(&VILLAGES));
    let (y, z) = rng.two(SCENIC.len());
    sl.set(b'Y', SCENIC[y]);
    sl.set(b'Z', SCENIC[z]);
}

/// Title and paragraphs: numbers are drawn once for the title and lead,
/// then anew for every body paragraph.
fn compose(
    rng: &mut Rng,
    sl: &mut Slots,
    t: &Topic,
    title: &str,
    lead: usize,
    body: &[usize],
) -> (String, Vec<String>) {
    sl.roll(rng);
    let title = sl.filled(title);
    let mut paras = Vec::with_capacity(body.len() + 1);
    paras.push(sl.filled(t.leads[lead]));
    for &b in body {
        sl.roll(rng);
        paras.push(sl.filled(t.body[b]));
    }
    (title, paras)
}

/// A shuffled 0..8, for choosing body paragraphs.
fn shuffled8(rng: &mut Rng) -> [usize; 8] {
    let mut idx = [0, 1, 2, 3, 4, 5, 6, 7];
    for j in (1..8).rev() {
        idx.swap(j, rng.below(j + 1));
    }
    idx
}

/// A random agency article of 4–8 paragraphs.
fn agency_article(rng: &mut Rng, sl: &mut Slots, t: &Topic) -> (String, Vec<String>) {
    set_article_entities(sl, rng, t);
    let k = rng.range(4, 8) as usize;
    let mut body = shuffled8(rng);
    body[..k - 1].sort_unstable();
    let title = rng.pick(&t.titles);
    let lead = rng.below(2);
    compose(rng, sl, t, title, lead, &body[..k - 1])
}

fn byline(rng: &mut Rng) -> String {
    format!("□ 记者 {} 通讯员 {}", person_string(rng), person_string(rng))
}

/// A portal's repost of an agency story: headline prefix/suffix and some
/// page-furniture variations.
fn repost(rng: &mut Rng, title: &str, paras: &[String], portal: usize, agency: &str) -> (String, String) {
    let (_, _, prefix, suffix) = PORTALS[portal];
    let mut ps: Vec<String> = paras.to_vec();
    if ps.len() >= 5 && rng.chance(30) {
        let j = 1 + rng.below(ps.len() - 1);
        ps.remove(j);
    }
    let mut head = Vec::new();
    if rng.chance(15) {
        head.push("图片来源：视觉中国".to_string());
    }
    if rng.chance(25) {
        head.push(format!("原标题：{title}"));
    }
    match rng.below(10) {
        0..=2 => head.push(byline(rng)),
        3 => {
            let lead = format!(
                "本报讯（记者 {} 通讯员 {}）",
                person_string(rng),
                person_string(rng)
            );
            ps[0].insert_str(0, &lead);
        }
        _ => {}
    }
    if !head.is_empty() {
        ps.splice(0..0, head);
    }
    if rng.chance(20) {
        ps.push(format!("来源：{agency}"));
    }
    if rng.chance(35) {
        ps.push(format!("（责任编辑：{}）", person_string(rng)));
    }
    let punct = rng.below(100);
    let mut t = format!("{prefix}{title}{suffix}");
    if punct < 25 {
        let all = punct >= 15;
        for p in &mut ps {
            *p = halfwidth(p, all);
        }
        if rng.chance(50) {
            t = halfwidth(&t, all);
        }
    }
    let html = render(&ps, rng.pick(&REPOST_MARKUPS));
    (t, html)
}

/// Style 3: syndicated copies.
///
/// Each group is one 新华日报/新华社 story (4–8 paragraphs of 60–150
/// characters, clean `<p>` markup; first in the group) and 1–3 reposts by
/// portals under their own URLs with the portal's headline suffix or prefix
/// (`_新华报业网`, ` - 苏州都市网`, `_江苏资讯_苏州都市网`, `【江苏】`, …) and
/// variations: paragraphs run together into one `<p>`, `<br>` or
/// `<br/><br/>` instead of `<p>`, newlines between `<p>`s, full-width
/// punctuation turned half-width, leading `原标题：…` or
/// `图片来源：视觉中国` lines, a byline (`□ 记者 X 通讯员 Y` or
/// `本报讯（…）`), a trailing `来源：…` or `（责任编辑：…）`, `　　` or
/// `&nbsp;` indents, sometimes one paragraph (never the first) dropped.
/// Reposts are 0–36 h newer than the original. All docs of a group share
/// `story`; different groups are different stories.
pub fn syndicated(seed: u64, groups: usize) -> Vec<Vec<Doc>> {
    let mut sl = Slots::new();
    (0..groups)
        .map(|g| {
            let mut rng = rng_for(seed, STYLE_SYNDICATED, g as u64, 0);
            let topic = rng.pick_ref(&TOPICS);
            let (title, paras) = agency_article(&mut rng, &mut sl, topic);
            let story = story_id(STYLE_SYNDICATED, seed, g as u64);
            let (agency, host) = if rng.chance(70) {
                ("新华日报", "xh.xhby.net")
            } else {
                ("新华社", "www.news.cn")
            };
            let age = rng.range(0, (SPAN - 1) as u64) as i64;
            let mut docs = vec![Doc {
                story,
                title: title.clone(),
                html: render(&paras, Markup::P),
                link: format!("http://{host}/news/xh/{g}.html"),
                outlet: agency.to_string(),
                age,
            }];
            let reposts = rng.range(1, 3) as usize;
            let first = rng.below(PORTALS.len());
            for r in 0..reposts {
                let portal = (first + r * 3) % PORTALS.len();
                let (t, html) = repost(&mut rng, &title, &paras, portal, agency);
                docs.push(Doc {
                    story,
                    title: t,
                    html,
                    link: format!("http://{}/news/xh/{g}_{r}.html", PORTALS[portal].1),
                    outlet: PORTALS[portal].0.to_string(),
                    age: age - rng.range(0, age.min(36 * HOUR) as u64) as i64,
                });
            }
            docs
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Style 4: adversarial pairs
// ---------------------------------------------------------------------------

/// Series titles: (title, topic index).
const SERIES: [(&str, usize); 6] = [
    ("$C产业工人成长记", 0),
    ("探访$C$I产业链", 1),
    ("$C交通建设巡礼", 2),
    ("行走$C乡村看振兴", 3),
    ("$C科创一线观察", 4),
    ("$C老街新韵", 5),
];

const SERIES_MARKS: [(&str, &str); 4] = [
    ("（上）", "（下）"),
    ("之一", "之二"),
    ("（一）", "（二）"),
    ("第一集", "第二集"),
];

/// Headlines that the rewrites can change: (title, topic index).
const REWRITABLE: [(&str, usize); 6] = [
    ("$C召开$I产业发展大会 今年签约项目超$c个", 1),
    ("今年以来$C新增$I企业超$d家 产业规模持续扩大", 1),
    ("$C市总工会召开全委会议 今年将为职工办好$j件实事", 0),
    ("$C召开交通工作会议 今年计划投资超$d亿元", 2),
    ("$C召开科技创新大会 今年高新技术企业超$w家", 4),
    ("今年假期$C接待游客超$k万人次 旅游收入同比增长$p%", 5),
];

const PROVINCES: [&str; 20] = [
    "甘肃", "河北", "安徽", "河南", "山东", "湖南", "四川", "云南", "陕西", "江西", "贵州", "山西", "辽宁",
    "吉林", "湖北", "福建", "浙江", "广东", "海南", "青海",
];

const ENROL_SHARED_HEAD: [&str; 3] = [
    "根据教育部关于做好2026年普通高校招生工作的有关规定，结合我省实际，现将2026年普通高校招生考试报名有关事项公告如下。",
    "一、报名条件。符合下列条件的人员可以报名：遵守中华人民共和国宪法和法律；高级中等教育学校毕业或者具有同等学力；身体状况符合相关要求。",
    "二、不得报名的情形。具有普通高等学校学籍的在校生；高级中等教育学校非应届毕业的在校生；因违反国家教育考试规定，被给予暂停参加高校招生考试处理且在停考期内的人员。",
];
const ENROL_SPECIFIC: [&str; 3] = [
    "三、报名时间和方式。我省2026年普通高校招生考试报名采取网上报名与现场确认相结合的方式，考生网上报名时间为$B9:00至$J17:00，逾期不予补报。",
    "四、报名费用。报名考试费按照$P省发展改革委、财政厅核定的标准收取，每生$n元；艺术、体育类专业考生另按规定缴纳专业考试费。",
    "五、现场确认。考生须在$K前持本人身份证到户籍所在县（市、区）招生考试机构指定地点进行信息确认和照相采集，全省共设现场确认点$d个。",
];
const ENROL_EXTRA: [&str; 4] = [
    "我省2026年继续实施高考综合改革，考生须在报名时选择首选科目和再选科目，报名结束后不得更改。",
    "根据教育部有关规定，我省2026年继续开展高职（专科）提前招生，有意报考的考生须在网上报名时一并勾选。",
    "退役军人、残疾人等特殊群体考生报名时，可向所在地招生考试机构申请合理便利，并提供相关证明材料。",
    "外省户籍随迁子女符合我省规定条件的，可在我省报名参加考试，具体办法按照随迁子女就地参加高考有关规定执行。",
];
const ENROL_SHARED_TAIL: [&str; 2] = [
    "六、其他事项。考生须如实填写报名信息，并对所填信息的真实性负责。凡弄虚作假者，一经查实，取消其报名、考试和录取资格。",
    "考生可登录$P省教育考试院官方网站查询报名有关政策，咨询电话：$z（工作日上班时间）。",
];

const MODULE_NUMBERS: [&str; 8] = ["一", "二", "三", "四", "五", "六", "七", "八"];
/// (category, subjects, a module-specific rule)
const MODULES: [(&str, &str, &str); 8] = [
    (
        "美术与设计类",
        "素描、色彩、速写",
        "考生须自备画板、画架及绘画工具，考点统一提供试卷用纸；色彩科目可使用水粉、水彩或丙烯颜料，不得使用油画颜料。",
    ),
    (
        "音乐类（声乐方向）",
        "主项演唱、视唱、乐理与练耳",
        "主项演唱须演唱一首自选中外声乐作品，不得使用扩音设备，可自带钢琴伴奏人员或使用考点提供的伴奏音频。",
    ),
    (
        "音乐类（器乐方向）",
        "主项演奏、视唱、乐理与练耳",
        "主项演奏须演奏一首自选作品，钢琴、打击乐由考点提供，其余乐器由考生自备，演奏时间不超过5分钟。",
    ),
    (
        "舞蹈类",
        "基本功、剧目表演、即兴表演",
        "考生须着紧身练功服、软底练功鞋，不得化妆、佩戴饰品；剧目表演须自备伴奏音乐，时长不超过2分钟。",
    ),
    (
        "表（导）演类（戏剧影视表演方向）",
        "自我介绍、朗诵、命题表演",
        "朗诵须脱稿完成，作品自选，时长不超过2分钟；命题表演题目在考场内现场抽取，准备时间为3分钟。",
    ),
    (
        "播音与主持类",
        "朗读、即兴评述、模拟主持",
        "朗读稿件在候考室内抽取，准备时间为5分钟；即兴评述和模拟主持题目由考生现场抽取，不得借助任何资料。",
    ),
    (
        "书法类",
        "临摹、创作、书法常识",
        "考生须自备毛笔、墨汁、砚台及毛毡等书写工具，考点统一提供宣纸，作品不得署名或加盖印章。",
    ),
    (
        "戏曲类",
        "唱腔、身段、剧目片段表演",
        "考生须自选一个剧种的传统剧目片段进行表演，可着练功服和彩鞋，伴奏由考生自行安排，时长不超过4分钟。",
    ),
];
const ART_VENUES: [&str; 4] = [
    "省会城市指定考点",
    "各设区市指定考点",
    "省艺术职业学院考点",
    "省师范大学考点",
];
const ART_SHARED: [&str; 4] = [
    "四、考试要求。考生不得携带手机等通讯工具进入考场，不得穿着带有标识性的服装，不得以任何方式透露个人信息，违者按违规处理。",
    "五、成绩公布。考试成绩将于考试结束后在省教育考试院官方网站统一公布，考生可凭准考证号和身份证号查询；对成绩有异议的，可在成绩公布后3日内申请复核。",
    "六、考生须知。考生应诚信应考，自觉遵守考试纪律。对违反考试纪律的考生，将依据《国家教育考试违规处理办法》严肃处理。",
    "七、本说明由$P省教育考试院负责解释。未尽事宜，另行通知。",
];

const EDU_OUTLETS: [(&str, &str); 3] = [
    ("中国教育在线", "gaokao.eol.cn"),
    ("新浪教育", "edu.sina.com.cn"),
    ("中国江苏网", "www.jschina.com.cn"),
];

fn date(rng: &mut Rng, out: &mut String, months: (u64, u64)) {
    write!(out, "{}月{}日", rng.range(months.0, months.1), rng.range(1, 28)).unwrap();
}

/// 招生考试报名须知 for province `p`.
fn enrol_notice(rng: &mut Rng, sl: &mut Slots, p: &str, extra: usize) -> (String, Vec<String>) {
    sl.set(b'P', p);
    date(rng, sl.buf(b'B'), (10, 10));
    date(rng, sl.buf(b'J'), (11, 11));
    date(rng, sl.buf(b'K'), (12, 12));
    sl.roll(rng);
    let mut paras: Vec<String> = ENROL_SHARED_HEAD.iter().map(|s| sl.filled(s)).collect();
    paras.extend(ENROL_SPECIFIC.iter().map(|s| sl.filled(s)));
    paras.push(ENROL_EXTRA[extra].to_string());
    paras.extend(ENROL_SHARED_TAIL.iter().map(|s| sl.filled(s)));
    (format!("{p}：2026年普通高校招生考试报名须知"), paras)
}

/// 艺术专业统一考试模块说明 for province `p`, module `m`.
fn art_notice(rng: &mut Rng, sl: &mut Slots, p: &str, m: usize) -> (String, Vec<String>) {
    let (cat, subjects, rule) = MODULES[m];
    let u = MODULE_NUMBERS[m];
    sl.set(b'P', p);
    sl.roll(rng);
    date(rng, sl.buf(b'B'), (12, 12));
    date(rng, sl.buf(b'J'), (1, 1));
    let venue = rng.pick(&ART_VENUES);
    let mut paras = vec![
        format!("根据教育部关于做好普通高等学校艺术类专业考试招生工作的有关要求，结合我省实际，现将2026年艺术专业统一考试模块{u}考试有关事项说明如下。"),
        format!("一、适用范围。本模块考试适用于报考{cat}专业的考生。考生须在规定时间内完成网上报名和缴费，未按时缴费的视为自动放弃。"),
        sl.filled(&format!("二、考试科目及分值。模块{u}考试科目为{subjects}，满分300分，考试时长$s分钟。{rule}")),
        sl.filled(&format!("三、考试时间和地点。模块{u}考试定于$B至次年$J在{venue}举行，考生须提前$t分钟到达考点，凭准考证和身份证入场。")),
    ];
    paras.extend(ART_SHARED.iter().map(|s| sl.filled(s)));
    (format!("{p}：2026年艺术专业统一考试模块{u}考试说明"), paras)
}

fn rewrite_headline(rng: &mut Rng, t: &str) -> String {
    loop {
        let mut s = t.to_string();
        if rng.chance(50)
            && let Some(i) = s.find(' ')
        {
            s.truncate(i);
        }
        for (from, to) in [("召开", "举行"), ("超", "逾"), ("今年", "2026年")] {
            if rng.chance(50) {
                s = s.replace(from, to);
            }
        }
        if s != t {
            return s;
        }
    }
}

/// Break the markup of a clean story (the text stays the same).
fn broken_html(rng: &mut Rng, paras: &[String]) -> String {
    let mut ps: Vec<String> = paras.to_vec();
    if rng.chance(40) {
        for p in &mut ps {
            p.insert_str(0, "&amp;nbsp;&amp;nbsp;");
        }
    }
    match rng.below(5) {
        0 => ps.iter().map(|p| ["<p>", p].concat()).collect(),
        1 => {
            let mut s = String::from("<div class=\"article\">");
            for (i, p) in ps.iter().enumerate() {
                write!(s, "<p>{p}</p>").unwrap();
                if i == 0 || i == ps.len() / 2 {
                    s.push_str("</div>");
                }
            }
            s.push_str("</div>");
            s
        }
        2 => ps.iter().map(|p| ["<p><p>", p, "</p>"].concat()).collect(),
        3 => ps.join(if rng.chance(50) { "\n" } else { "\r\n\r\n" }),
        _ => {
            let mut s = String::new();
            for p in &ps {
                s.push_str(p);
                for _ in 0..rng.range(2, 4) {
                    s.push_str("<br/>");
                }
            }
            s
        }
    }
}

/// Style 4: adversarial near-misses, as labelled pairs `(a, b, same_story)`,
/// kinds in turn (`i % 4`):
/// 0. series parts (false): the same title with （上）/（下）, 之一/之二,
///    （一）/（二） or 第一集/第二集; disjoint paragraph sets about the same
///    city and firms, sharing at most an editor's note;
/// 1. one notice for different provinces or modules (false):
///    `甘肃：2026年普通高校招生考试报名须知` vs `河北：……须知`, or
///    `安徽：2026年艺术专业统一考试模块二考试说明` vs `……模块七……`: long
///    shared regulatory text, different dates, figures and specific
///    paragraphs;
/// 2. broken markup copies (true): unclosed `<p>`, stray `</div>`, `<p><p>`,
///    no tags at all, `<br/><br/>` runs, `&amp;nbsp;`; sometimes a portal
///    suffix on the title;
/// 3. headline rewrites (true): shortened headline, 召开→举行, 超→逾,
///    今年→2026年, identical body.
///
/// Links are `http://{host}/news/adv/{i}a.html` and `…/{i}b.html`.
pub fn adversarial(seed: u64, n: usize) -> Vec<(Doc, Doc, bool)> {
    let mut sl = Slots::new();
    (0..n)
        .map(|i| {
            let mut rng = rng_for(seed, STYLE_ADVERSARIAL, i as u64, 0);
            let base = story_id(STYLE_ADVERSARIAL, seed, 2 * i as u64);
            let age = rng.range(0, (SPAN - 12 * HOUR - 1) as u64) as i64;
            let age_b = age + rng.range(0, (12 * HOUR) as u64) as i64;
            let pa_i = rng.below(PORTALS.len());
            let pb_i = (pa_i + 1 + rng.below(PORTALS.len() - 1)) % PORTALS.len();
            let (a, b, same) = match i % 4 {
                0 => {
                    let (series, topic) = rng.pick(&SERIES);
                    let t = &TOPICS[topic];
                    set_article_entities(&mut sl, &mut rng, t);
                    let base_title = sl.filled(series);
                    let (m1, m2) = rng.pick(&SERIES_MARKS);
                    let idx = shuffled8(&mut rng);
                    let k = rng.range(3, 4) as usize;
                    let (mut b1, mut b2) = (idx[..k].to_vec(), idx[k..2 * k].to_vec());
                    b1.sort_unstable();
                    b2.sort_unstable();
                    let (_, mut pa) = compose(&mut rng, &mut sl, t, series, 0, &b1);
                    let (_, mut pb) = compose(&mut rng, &mut sl, t, series, 1, &b2);
                    if rng.chance(50) {
                        let note = sl.filled(
                            "【编者按】$C正在发生哪些变化？本报记者深入一线蹲点采访，今起推出系列报道，敬请关注。",
                        );
                        pa.insert(0, note.clone());
                        pb.insert(0, note);
                    }
                    if rng.chance(40) {
                        // A summary-only feed: both parts carry the same
                        // introduction, and only the headline tells them apart.
                        pa.truncate(2);
                        pb = pa.clone();
                    }
                    let (ta, tb) = if m1 == "第一集" {
                        (format!("《{base_title}》{m1}"), format!("《{base_title}》{m2}"))
                    } else {
                        (format!("{base_title}{m1}"), format!("{base_title}{m2}"))
                    };
                    let (o, h, _, _) = PORTALS[pa_i];
                    ((ta, render(&pa, Markup::P), o, h), (tb, render(&pb, Markup::P), o, h), false)
                }
                1 => {
                    let (p1, p2) = rng.two(PROVINCES.len());
                    let ((ta, pa), (tb, pb)) = if rng.chance(50) {
                        let (ea, eb) = rng.two(ENROL_EXTRA.len());
                        (
                            enrol_notice(&mut rng, &mut sl, PROVINCES[p1], ea),
                            enrol_notice(&mut rng, &mut sl, PROVINCES[p2], eb),
                        )
                    } else {
                        let (ma, mb) = rng.two(MODULES.len());
                        (
                            art_notice(&mut rng, &mut sl, PROVINCES[p1], ma),
                            art_notice(&mut rng, &mut sl, PROVINCES[p1], mb),
                        )
                    };
                    let (o, h) = rng.pick(&EDU_OUTLETS);
                    let m = if rng.chance(50) { Markup::P } else { Markup::PIndent };
                    ((ta, render(&pa, m), o, h), (tb, render(&pb, m), o, h), false)
                }
                2 => {
                    let t = rng.pick_ref(&TOPICS);
                    let (title, paras) = agency_article(&mut rng, &mut sl, t);
                    let (oa, ha, _, _) = PORTALS[pa_i];
                    let (ob, hb, _, suffix) = PORTALS[pb_i];
                    let tb = if rng.chance(50) { format!("{title}{suffix}") } else { title.clone() };
                    let broken = broken_html(&mut rng, &paras);
                    ((title, render(&paras, Markup::P), oa, ha), (tb, broken, ob, hb), true)
                }
                _ => {
                    let (tpl, topic) = rng.pick(&REWRITABLE);
                    let t = &TOPICS[topic];
                    set_article_entities(&mut sl, &mut rng, t);
                    let mut body = shuffled8(&mut rng);
                    let k = rng.range(3, 6) as usize;
                    body[..k].sort_unstable();
                    let lead = rng.below(2);
                    let (title, paras) = compose(&mut rng, &mut sl, t, tpl, lead, &body[..k]);
                    let tb = rewrite_headline(&mut rng, &title);
                    let html = render(&paras, if rng.chance(50) { Markup::P } else { Markup::PIndent });
                    let (oa, ha, _, _) = PORTALS[pa_i];
                    let (ob, hb, _, _) = PORTALS[pb_i];
                    ((title, html.clone(), oa, ha), (tb, html, ob, hb), true)
                }
            };
            let sb = if same { base } else { story_id(STYLE_ADVERSARIAL, seed, 2 * i as u64 + 1) };
            let (mut a, mut b) = ((base, a, age), (sb, b, age_b));
            if rng.chance(30) {
                // Either side may come first.
                std::mem::swap(&mut a, &mut b);
            }
            (doc(i, a, "a"), doc(i, b, "b"), same)
        })
        .collect()
}

/// (title, html, outlet, host)
type Side = (String, String, &'static str, &'static str);

fn doc(i: usize, (story, (title, html, outlet, host), age): (u64, Side, i64), tag: &str) -> Doc {
    Doc {
        story,
        title,
        html,
        link: format!("http://{host}/news/adv/{i}{tag}.html"),
        outlet: outlet.to_string(),
        age,
    }
}

// Run as part of the integration tests (tests/it includes this file);
// a benchmark without the test harness compiles them without running them.
#[cfg(test)]
#[allow(unused_imports)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn deterministic() {
        assert_eq!(templated(7, 3, 200), templated(7, 3, 200));
        assert_eq!(same_event(7, 2, 50), same_event(7, 2, 50));
        assert_eq!(syndicated(7, 40), syndicated(7, 40));
        assert_eq!(adversarial(7, 40), adversarial(7, 40));
        assert_ne!(templated(7, 3, 50), templated(8, 3, 50));
        // A prefix of a feed does not depend on its length.
        assert_eq!(
            templated(7, 3, 300)[..10]
                .iter()
                .map(|d| &d.title)
                .collect::<Vec<_>>(),
            templated(7, 3, 10).iter().map(|d| &d.title).collect::<Vec<_>>()
        );
    }

    #[test]
    fn templated_feeds_differ() {
        let a = templated(1, 0, 300);
        let b = templated(1, 1, 300);
        let ta: HashSet<_> = a.iter().map(|d| &d.title).collect();
        assert!(b.iter().all(|d| !ta.contains(&d.title)));
        let ha: HashSet<_> = a.iter().map(|d| &d.html).collect();
        assert!(b.iter().all(|d| !ha.contains(&d.html)));
    }

    #[test]
    fn unique_story_ids() {
        let mut ids = HashSet::new();
        for f in 0..5 {
            for d in templated(3, f, 500).iter().chain(same_event(3, f, 100).iter()) {
                assert!(ids.insert(d.story), "duplicate story id {}", d.story);
            }
        }
        let groups = syndicated(3, 200);
        for g in &groups {
            assert!(g.len() >= 2 && g.len() <= 4);
            assert!(g.iter().all(|d| d.story == g[0].story));
            assert!(ids.insert(g[0].story));
        }
        for (a, b, same) in adversarial(3, 200) {
            assert_eq!(same, a.story == b.story);
            assert!(ids.insert(a.story));
            if !same {
                assert!(ids.insert(b.story));
            }
        }
    }

    #[test]
    fn unique_links_everywhere() {
        let mut links = HashSet::new();
        let mut all = Vec::new();
        for f in 0..20 {
            all.extend(templated(5, f, 100));
            all.extend(same_event(5, f, 30));
        }
        all.extend(syndicated(5, 300).into_iter().flatten());
        for (a, b, _) in adversarial(5, 300) {
            all.push(a);
            all.push(b);
        }
        for d in &all {
            assert!(
                d.link.starts_with("http://") && d.link.ends_with(".html"),
                "{}",
                d.link
            );
            assert!(links.insert(d.link.clone()), "duplicate link {}", d.link);
            assert!((0..SPAN).contains(&d.age), "age {}", d.age);
            assert!(!d.title.is_empty() && !d.html.is_empty() && !d.outlet.is_empty());
        }
    }

    #[test]
    fn templated_titles_differ_within_feed() {
        for f in [0, 1, 17] {
            let docs = templated(11, f, 3000);
            let titles: HashSet<_> = docs.iter().map(|d| d.title.as_str()).collect();
            assert_eq!(titles.len(), docs.len());
            assert!(docs.windows(2).all(|w| w[0].age <= w[1].age));
        }
    }

    #[test]
    fn templated_sizes() {
        for f in 0..4 {
            for d in templated(2, f, 2000) {
                let n = visible_text(&d.html).chars().count();
                assert!((150..=400).contains(&n), "{n}: {}", d.html);
                let t = d.title.chars().count();
                assert!((14..=60).contains(&t), "{}", d.title);
            }
        }
    }

    #[test]
    fn syndicated_shapes() {
        for g in syndicated(9, 300) {
            let orig = &g[0];
            let paras: Vec<_> = orig.html.split("</p>").filter(|p| !p.is_empty()).collect();
            assert!((4..=8).contains(&paras.len()), "{}", orig.html);
            for p in paras {
                let n = visible_text(p).chars().count();
                assert!((60..=150).contains(&n), "{n}: {p}");
            }
            for r in &g[1..] {
                assert_ne!(r.title, orig.title);
                assert!(r.age <= orig.age && orig.age - r.age <= 36 * HOUR);
                assert_ne!(r.outlet, orig.outlet);
            }
        }
    }

    #[test]
    fn same_event_reports_differ() {
        let feeds: Vec<_> = (0..5).map(|f| same_event(4, f, 40)).collect();
        for i in 0..40 {
            let titles: HashSet<_> = feeds.iter().map(|f| &f[i].title).collect();
            assert_eq!(titles.len(), 5);
            let ages: Vec<_> = feeds.iter().map(|f| f[i].age).collect();
            assert!(ages.iter().max().unwrap() - ages.iter().min().unwrap() <= 4 * HOUR);
        }
    }

    #[test]
    fn no_template_syntax_leaks() {
        let mut all = templated(12, 0, 500);
        all.extend(same_event(12, 7, 200));
        all.extend(syndicated(12, 200).into_iter().flatten());
        all.extend(adversarial(12, 200).into_iter().flat_map(|(a, b, _)| [a, b]));
        for d in &all {
            for s in [&d.title, &d.html] {
                assert!(!s.contains('$') && !s.contains("[|") && !s.contains("|]"), "{s}");
            }
            assert!(!d.html.contains('[') && !d.html.contains('|'), "{}", d.html);
            assert!(
                !d.title.contains('[') || d.title.contains("[2026-"),
                "{}",
                d.title
            );
        }
    }

    #[test]
    fn adversarial_shapes() {
        for (i, (a, b, same)) in adversarial(6, 120).into_iter().enumerate() {
            assert_eq!(same, i % 4 >= 2);
            assert_ne!(a.link, b.link);
            match i % 4 {
                // Parts of a series may share their text (a summary-only
                // feed): the headline alone tells them apart.
                0 => assert_ne!(a.title, b.title),
                1 => {
                    assert_ne!(a.title, b.title);
                    assert_ne!(visible_text(&a.html), visible_text(&b.html));
                }
                2 => {
                    let strip = |s: &str| visible_text(s).replace('&', "").replace("nbsp;", "");
                    assert_eq!(strip(&a.html), strip(&b.html));
                    assert_ne!(a.html, b.html);
                }
                _ => {
                    assert_eq!(a.html, b.html);
                    assert_ne!(a.title, b.title);
                }
            }
        }
    }
}
