use super::*;

/// The phrases are searched without overlaps, leftmost first: a list
/// marker must still be seen when boilerplate comes before it or is the
/// same words.
#[test]
fn list_markers_are_seen_beside_boilerplate() {
    assert_eq!(phrase_kinds("相关阅读"), (true, false));
    assert_eq!(phrase_kinds("延伸阅读:"), (true, false));
    assert_eq!(phrase_kinds("版权所有 本站 相关新闻"), (true, true));
    let prose = "据新华社客户端消息，来源于省总工会、省人社厅和省统计局等多个部门的数据显示，全省工会工作在助企纾困、技能提升方面成效明显。";
    assert_eq!(phrase_kinds(prose), (false, false));
    assert_eq!(
        phrase_kinds(
            "本站部分文章来自网络，转载请注明出处，如有侵权请联系删除，我们将在第一时间处理，感谢您的理解与支持，谢谢合作，祝您阅读愉快。"
        ),
        (false, true)
    );
    assert_eq!(phrase_kinds("热门推荐阅读"), (true, false));
    assert_eq!(phrase_kinds("本站声明:转载请注明"), (false, true));
    assert_eq!(phrase_kinds("苏州地铁6号线今日开通"), (false, false));
}

/// The fast paths of `is_word_char` (the CJK block, ASCII, the blocks of
/// punctuation) answer as `char::is_alphanumeric` does, for every character.
#[test]
fn word_characters_are_the_alphanumeric_ones() {
    let wrong: Vec<char> = (0..=0x10FFFF_u32)
        .filter_map(char::from_u32)
        .filter(|c| is_word_char(*c) != c.is_alphanumeric())
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}

/// A credit is looked for only after a paragraph that starts with the
/// first character of one: each credit's must be in the list.
#[test]
fn every_credit_prefix_starts_with_a_listed_character() {
    for c in CREDIT_PREFIXES {
        let first = c.chars().next().unwrap();
        assert!(CREDIT_FIRSTS.contains(&first), "{c}");
        assert_eq!(strip_credit(&format!("{c}视觉中国"), true), "", "{c}");
    }
}

/// Headline bigrams are exact: two headlines share a bigram only when they
/// share the two characters in that order.
#[test]
fn headline_bigrams_are_pairs_of_characters() {
    let a = title_bigrams("南京发布");
    assert_eq!(a.len(), 3);
    assert_eq!(intersection(&a, &title_bigrams("发布南京")), 2, "南京, 发布");
    assert_eq!(intersection(&a, &title_bigrams("京南布发")), 0);
    assert!(title_bigrams("南").is_empty());
    assert_eq!(title_bigrams("哈哈哈哈").len(), 1, "repeats counted once");
}

#[test]
fn correction_notices_need_a_correction_word() {
    assert!(is_correction("本报4月15日刊发的报道更正如下"));
    assert!(is_correction("特此勘误"));
    assert!(is_correction("谨向读者致歉。"));
    assert!(is_correction("原文中“3亿元”应为“3000万元”"));
    assert!(is_correction("“3亿元”应为“3000万元”,此前版本有误"));
    assert!(!is_correction("新区面积应为全市最大"), "应为 alone");
    assert!(!is_correction("此前刊发的版本"), "no correction word");
    assert!(!is_correction("苏州地铁6号线今日开通"));
}

/// Numbers run over inner dots and are found wherever they stand.
#[test]
fn numbers_are_digit_runs_with_inner_dots() {
    let fp = fingerprint("标题", "<p>增长3.5%,达到1200亿元。</p><p>共12.个项目</p><p>7</p>");
    let mut want: Vec<u64> = ["3.5", "1200", "12", "7"].iter().map(|n| hash(n)).collect();
    want.sort_unstable();
    assert_eq!(fp.numbers, want);
}

#[test]
fn navigation_bars_are_short_words_between_spaces() {
    assert!(is_nav("首页 新闻 体育 财经"));
    assert!(is_nav("  首页  新闻\u{3000}体育 财经 "));
    assert!(!is_nav("首页 新闻 体育"), "three words are not a bar");
    assert!(!is_nav("首页 新闻 体育 财经频道页"), "a word of five characters");
    assert!(!is_nav("苏州地铁6号线今日开通运营"));
}

/// Buffers reused from item to item carry nothing over: a long story, a
/// short one (which takes in its headline), a correction, an empty one.
#[test]
fn a_reused_scratch_fingerprints_as_a_fresh_one() {
    let items = [
        ("苏州地铁6号线今日开通_新华报业网", SEED.to_string()),
        ("短讯", "<p>今日晴。</p>".to_string()),
        (
            "【更正】苏州地铁",
            format!("{SEED}<p>原文“3亿元”应为“3000万元”</p>"),
        ),
        ("", String::new()),
        (
            "苏州天气预报 - 苏州都市网",
            "<p>多云,气温14到25度,东南风3级。</p>".to_string(),
        ),
    ];
    let mut scratch = Scratch::default();
    for round in 0..2 {
        for (title, html) in &items {
            let (a, b) = (
                fingerprint_with(&mut scratch, title, html),
                fingerprint(title, html),
            );
            let what = format!("round {round}: {title}");
            assert_eq!(a.shingles, b.shingles, "{what}");
            assert_eq!(a.numbers, b.numbers, "{what}");
            assert_eq!(a.title, b.title, "{what}");
            assert_eq!(a.keys, b.keys, "{what}");
            assert_eq!(a.correction, b.correction, "{what}");
        }
    }
}

#[test]
fn the_shingle_set_is_the_shingles_sorted_and_unique() {
    let fp = fingerprint("标题", "<p>苏州苏州苏州苏州地铁开通地铁开通</p>");
    let set = fp.shingle_set();
    assert!(set.windows(2).all(|w| w[0] < w[1]), "{set:?}");
    let mut raw = fp.shingles.clone();
    assert!(raw.len() > set.len(), "the text repeats shingles");
    raw.sort_unstable();
    raw.dedup();
    assert_eq!(raw, set);
}

/// `fast2s::replace` writes each converted character into the three
/// bytes of the original: every three-byte character must convert to a
/// three-byte one, or `fold` would corrupt its string.
#[test]
fn fast2s_keeps_three_byte_characters_three_bytes() {
    for c in ('\u{800}'..='\u{FFFF}').filter(|c| c.len_utf8() == 3) {
        for ctx in ['0', '的', '乾'] {
            let s: String = [ctx, c, ctx].iter().collect();
            let out = fast2s::convert(&s);
            assert!(
                out.chars().all(|o| o.len_utf8() == 3 || o == '0'),
                "{c:?} → {out:?}"
            );
        }
    }
    assert_eq!(fold("ＡＢＣ　臺灣 Straße"), "abc 台湾 straße");
    assert_eq!(fold("乾隆的乾兒子"), "乾隆的干儿子");
    assert_eq!(fold("看著"), "看着");
    assert_eq!(fold("慰藉"), "慰藉");
    assert!(T2S.get('臺') != 0 && T2S.get('台') == 0 && T2S.get('a') == 0);
}

/// The conversion table and its special characters give what fast2s
/// gives: every character that may change, beside itself, an ordinary
/// character and each special one (whose conversion depends on the
/// neighbour).
#[test]
fn fold_converts_as_fast2s_does() {
    let mut contexts: Vec<char> = T2S_CONTEXT.chars().collect();
    contexts.extend([
        '0', '的', '口', '麻', '家', '書', '計', '企', '看', '慰', '隆', '寬', '望',
    ]);
    for c in ('\u{2E80}'..='\u{FFFF}').filter(|c| T2S.get(*c) != 0) {
        for &x in &contexts {
            for s in [[x, c], [c, x], [c, c]] {
                let s: String = s.iter().collect();
                assert_eq!(fold(&s), fast2s::convert(&s), "{s}");
            }
        }
    }
}

/// Whole texts fold as the two-step way did: case and width folded
/// first, then the text through fast2s. Special characters stand beside
/// each other, beside their special neighbours (converted or not), at
/// the start and end, and beside full-width and upper-case letters.
#[test]
fn texts_with_special_characters_fold_as_through_fast2s() {
    fn reference(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '\u{FF01}'..='\u{FF5E}' => {
                    out.push(char::from_u32(c as u32 - 0xFEE0).unwrap().to_ascii_lowercase())
                }
                '\u{3000}' | '\u{A0}' => out.push(' '),
                _ => out.extend(c.to_lowercase()),
            }
        }
        fast2s::convert(&out)
    }
    let alphabet: Vec<char> =
        format!("{T2S_CONTEXT}口麻家書计計企看慰狼隆坤卦寬望答批回甚樊校定仇憑的臺灣ＡＢａZ　 0")
            .chars()
            .collect();
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..20_000 {
        let len = rng.usize(1..8);
        let s: String = (0..len).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
        assert_eq!(fold(&s), reference(&s), "{s}");
    }
}

const SEED: &str = "<p>5年来,助企纾困、提振发展信心,返还小微企业工会经费45.1亿元;搭建职工成长成才平台,推动108.32万名职工晋升技能等级。</p>\
    <p>志不求易者成,事不避难者进。在江苏省工会十五大即将召开之际,回顾过去5年,江苏工会牢记嘱托、感恩奋进。</p>\
    <p>扎根矿山22年的徐矿集团张双楼煤矿瓦斯班班长吕龙清,评上技师,每月享受2500元的特殊人才津贴。</p>\
    <p>迄今,全省已出台涉及产业工人的政策文件55项,培育各级各类试点单位9000多家,覆盖职工730多万人。</p>";

#[test]
fn the_seed_republished_by_a_portal_is_the_same_story() {
    let copy = format!(
        "<p>首页 > 资讯中心 > 江苏资讯</p><p>新华日报 2023-04-15 10:09</p><p>□ 记者 吉强 通讯员 谢丹娜</p>{}\
         <p>资讯 苏州 娱乐 体育 财经</p><p>Copyright (C) www.szdushi.com.cn</p><p>苏州都市网 版权所有 苏ICP备2021029242号-1</p>",
        SEED.replace(',', "，").replace(';', "；")
    );
    let s = compare(
        &fingerprint("汇聚磅礴“工力量”", SEED),
        &fingerprint("汇聚磅礴“工力量”_新华报业网", &copy),
    );
    assert!(s.containment > 0.97 && s.numbers == 1.0, "{s:?}");
    assert!(s.is_duplicate(&Params::default()));
    assert!(!band_set(&fingerprint("", SEED)).is_disjoint(&band_set(&fingerprint("", &copy))));
}

/// The same text laid out in every way portals lay it out fingerprints
/// the same: paragraphs, `<br>`, line breaks or none; indents and
/// `&nbsp;`; full-width or half-width punctuation; a credit line on top
/// and the desk's note at the end.
#[test]
fn the_fingerprint_does_not_depend_on_layout() {
    let paras: Vec<&str> = SEED
        .split("</p>")
        .filter(|p| !p.is_empty())
        .map(|p| &p[3..])
        .collect();
    let half = |s: &str| s.replace('，', ",").replace('；', ";").replace('：', ":");
    let full = |s: &str| s.replace(',', "，").replace(';', "；").replace(':', "：");
    let layouts = [
        SEED.to_string(),
        format!("<p>{}</p>", paras.join("")),
        paras.join("<br>"),
        paras.join("<br/><br/>\r\n"),
        paras.join("\n\n"),
        paras.join(""),
        paras.iter().map(|p| format!("<p>　　{p}</p>\n")).collect(),
        paras
            .iter()
            .map(|p| format!("<p>&nbsp;&nbsp;&nbsp;&nbsp;{p}</p>"))
            .collect(),
        full(SEED),
        half(SEED),
        format!("<p>原标题：汇聚磅礴“工力量”</p>{SEED}"),
        format!("<p>图片来源：视觉中国</p>{SEED}"),
        format!("{}（责任编辑：张三）", paras.join("")),
        format!("<p>图片来源：视觉中国 {}（责任编辑：张三）</p>", paras.join("")),
        format!("<p>{}（本文来源：新华日报）</p>", paras.join("")),
        paras.join("<p><p>").replace("。", "。</div>"),
    ];
    let want = fingerprint("", SEED);
    for html in &layouts {
        let fp = fingerprint("", html);
        assert_eq!(fp.shingle_set(), want.shingle_set(), "{html}");
        assert_eq!(fp.numbers, want.numbers, "{html}");
    }
}

/// A whole article in one paragraph that mentions a boilerplate word in
/// passing is still the story (only short sentences with one are dropped).
#[test]
fn a_run_together_article_mentioning_a_source_keeps_its_text() {
    let one = format!(
        "<p>{}据新华社客户端消息，来源于省总工会、省人社厅和省统计局等多个部门的数据显示，全省工会工作在助企纾困、技能提升方面成效明显。</p>",
        SEED.replace("<p>", "").replace("</p>", "")
    );
    let text = story_text(&one);
    assert!(text.chars().count() > 200, "{text}");
    assert!(text.contains("来源于省总工会"), "{text}");
    let split = story_text(&one.replace("。", "。</p><p>"));
    assert_eq!(text, split);
}

#[test]
fn headlines_that_differ_in_a_part_or_issue_number_are_a_series() {
    let rel = |a: &str, b: &str| {
        let (fa, fb) = (fingerprint(a, ""), fingerprint(b, ""));
        headline_relation(&fa.headline, &fb.headline, compare(&fa, &fb).title)
    };
    for (a, b) in [
        (
            "如何选择国际学校 一位父亲的超全解析（上）",
            "如何选择国际学校 一位父亲的超全解析（下）",
        ),
        (
            "安徽：2019年艺术专业统一考试模块二考试说明",
            "安徽：2019年艺术专业统一考试模块七考试说明",
        ),
        ("苏州工会动态（第37期）", "苏州工会动态（第38期）"),
        ("苏州市区4月15日天气预报", "苏州市区4月16日天气预报"),
        ("大运河文化带建设巡礼之一", "大运河文化带建设巡礼之二"),
        (
            "宿迁交警发布出行提示 泗洪县5条道路2月6日起施工管制（第124期）",
            "宿迁交警发布出行提示 泗洪县5条道路4月20日起施工管制",
        ),
    ] {
        assert_eq!(rel(a, b), Headline::Series, "{a} / {b}");
    }
    for (a, b) in [
        (
            "甘肃：2019年普通高校招生考试报名须知",
            "河北：2019年普通高校招生考试报名须知",
        ),
        (
            "南京秦淮区总工会开展劳模进校园活动",
            "南京鼓楼区总工会开展劳模进校园活动",
        ),
        ("全省工会十五大今日召开", "全省工会十五大今日举行"),
    ] {
        assert_eq!(rel(a, b), Headline::Substituted, "{a} / {b}");
    }
    for (a, b) in [
        ("【江苏】汇聚磅礴“工力量”_新华报业网", "汇聚磅礴“工力量”"),
        (
            "苏州地铁6号线今日开通 沿线21座车站同步启用",
            "苏州地铁6号线今日开通",
        ),
        ("全省职工职业技能大赛5月启动", "2023年全省职工职业技能大赛5月启动"),
    ] {
        assert_eq!(rel(a, b), Headline::Same, "{a} / {b}");
    }
    assert_eq!(
        rel(
            "南京发布养老护理产业84项重点项目清单",
            "南京秦淮区总工会开展“劳模进校园”活动"
        ),
        Headline::Different
    );
}

/// Parts of a series are apart even when a summary-only feed gives both
/// the same introduction.
#[test]
fn parts_of_a_series_are_never_one_story() {
    let intro =
        "<p>择校季来临，一位父亲花了半年走访苏州12所国际学校，把课程、学费和升学去向整理成了这份解析。</p>";
    let s = compare(
        &fingerprint("如何选择国际学校 一位父亲的超全解析（上）", intro),
        &fingerprint("如何选择国际学校 一位父亲的超全解析（下）", intro),
    );
    assert!(s.containment > 0.9, "{s:?}");
    assert!(!s.is_duplicate(&Params::default()), "{s:?}");
}

/// Text shared by many items of the window (a template's sentences)
/// weighs little; text only two items share weighs fully.
#[test]
fn text_common_in_the_window_is_weak_evidence() {
    let boiler = "<p>活动现场，来自多家企业的一线职工参加了技能展示和经验交流。近年来，各级工会围绕重点产业广泛开展劳动和技能竞赛，推动产业工人队伍建设改革走深走实。\
        下一步，全区将加大对重点领域项目的服务保障力度，引导广大职工在推动高质量发展中建功立业，为经济社会发展贡献力量。</p>";
    let item = |fact: &str| fingerprint("区总工会开展劳模进校园活动", &format!("{boiler}<p>{fact}</p>"));
    let a = item("劳模走进中华中学讲述扎根岗位的故事。");
    let b = item("大国工匠走进琅琊路小学带来手工课。");
    let mut df = DocFreq::default();
    for i in 0..200 {
        df.add(&item(&format!("其他内容{}", i * 7919)));
    }
    let raw = compare(&a, &b);
    assert!(
        raw.is_duplicate(&Params::default()),
        "the raw text alone would merge them: {raw:?}"
    );
    let weighed = compare_with(&a, &b, Some(&df));
    assert!(weighed.specific < 0.5, "{weighed:?}");
    assert!(weighed.boilerplate > 0.8, "{weighed:?}");
    assert!(!weighed.is_duplicate(&Params::default()));
    // A copy of one of them, in the same window, is still the same story.
    let copy = fingerprint(
        "区总工会开展劳模进校园活动_南京日报",
        &format!("{boiler}<p>劳模走进中华中学讲述扎根岗位的故事。</p>"),
    );
    let s = compare_with(&a, &copy, Some(&df));
    assert!(s.specific > 0.99 && s.is_duplicate(&Params::default()), "{s:?}");
}

/// A sketch gives back what it packs, and says "may match" for the
/// item itself and its copy but not for a template report beside it.
#[test]
fn a_sketch_keeps_what_it_packs() {
    let fp = fingerprint("【江苏】汇聚磅礴“工力量”_新华报业网", SEED);
    let sk = fp.sketch();
    assert_eq!(sk.headline(), &*fp.headline);
    assert_eq!(sk.sample(), fp.sample());
    assert!(sk.sample().len() >= SKETCH_MIN, "{}", sk.sample().len());
    let want: Vec<u32> = fp.numbers.iter().map(|h| (h >> 32) as u32).collect();
    assert_eq!(sk.numbers().collect::<Vec<_>>(), want);
    assert!(!sk.correction());
    let p = Params::default();
    assert!(may_match(&fp, &sk, &p));
    let copy = fingerprint("汇聚磅礴“工力量”", &SEED.replace("<p>", "<p>　　"));
    assert!(may_match(&copy, &sk, &p));
    let part = |m: &str| fingerprint(&format!("汇聚磅礴“工力量”（{m}）"), SEED);
    assert!(!may_match(&part("下"), &part("上").sketch(), &p), "a series part");
    let other_figures = fingerprint(
        "汇聚磅礴“工力量”",
        &SEED
            .replace("45.1", "38.2")
            .replace("108.32", "96.5")
            .replace("2500", "1800"),
    );
    assert!(!may_match(&other_figures, &sk, &p), "other figures");
}

#[test]
fn traditional_characters_fold_to_simplified() {
    let t = fingerprint(
        "",
        "<p>記者從江蘇省總工會獲悉，全省職工勞動競賽參與人數創新高，達到4070萬人次。</p>",
    );
    let s = fingerprint(
        "",
        "<p>记者从江苏省总工会获悉,全省职工劳动竞赛参与人数创新高,达到4070万人次。</p>",
    );
    assert_eq!(compare(&t, &s).jaccard, 1.0);
}

#[test]
fn template_bulletins_with_other_figures_are_apart() {
    let day = |d: u32, hi: u32, lo: u32, wind: u32| {
        format!(
            "<p>苏州市气象台{d}日发布天气预报:今天多云到阴,最高气温{hi}℃,最低气温{lo}℃,东南风{wind}到{}级。\
             明天阴有小雨,气温略有下降。请市民注意添衣保暖,出行携带雨具。</p>",
            wind + 1
        )
    };
    let a = fingerprint("苏州天气预报", &day(14, 25, 16, 3));
    let b = fingerprint("苏州天气预报", &day(15, 22, 14, 2));
    let s = compare(&a, &b);
    assert!(!s.is_duplicate(&Params::default()), "{s:?}");
}

#[test]
fn titles_lose_outlet_suffixes_and_tags() {
    assert_eq!(
        story_title("【江苏】汇聚磅礴“工力量”_新华报业网"),
        story_title("汇聚磅礴“工力量”")
    );
    assert_eq!(story_title("苏州地铁6号线开通 - 苏州都市网"), "苏州地铁6号线开通");
    assert_eq!(story_title("[视频]太湖蓝藻防控(图)"), "太湖蓝藻防控");
}

#[test]
fn bylines_and_boilerplate_are_not_story_text() {
    let t =
        story_text("<p>本报讯（记者 王明）苏州今日开通地铁。</p><p>□ 记者 吉强</p><p>（责任编辑：张三）</p>");
    assert_eq!(t, "苏州今日开通地铁");
}
