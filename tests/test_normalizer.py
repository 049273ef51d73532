from nlu.normalizer import collapse_elongation, normalize, normalize_word


def test_phone_abbreviations_become_standard_words() -> None:
    assert normalize("sy blm trima bantuan knp") == "saya belum terima bantuan kenapa"
    assert normalize("gmn cara cek, udh cair?") == "bagaimana cara cek sudah cair"


def test_elongations_collapse() -> None:
    assert collapse_elongation("bangeeet") == "banget"
    assert normalize_word("tolooooong") == "tolong"


def test_school_levels_and_card_names_are_kept() -> None:
    # indoNLP alone would turn "smp" into "sampai" and "sma" into "sama".
    assert normalize("brp utk anak SMP dan SMA") == "berapa untuk anak smp dan sma"
    assert normalize_word("KKS") == "kks"


def test_regional_words_map_to_indonesian() -> None:
    assert normalize("dak cair nian") == "tidak cair sangat"
    assert normalize("durung cair") == "belum cair"
    assert normalize("kumaha ieu") == "bagaimana ieu"
    assert normalize("gak") == normalize("ndak") == "tidak"


def test_one_key_mash_is_not_turned_into_a_word() -> None:
    # Collapsed to one letter, the slang lexicon would read "mmmmmm" as "sama" and "kkkk" as "ke".
    assert normalize("mmmmmm kkkk zzzz") == "mmmmmm kkkk zzzz"
    assert normalize_word("see") == "see"  # indoNLP gives "sih": "see you" is a goodbye
