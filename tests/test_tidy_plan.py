from engine.tidy import plan_merges, tree_of


def moves(files: list[str], folders: list[str] = ()) -> list[tuple[str, str]]:  # type: ignore[assignment]
    return plan_merges(tree_of(files, folders))


def test_chain_collapses_to_innermost() -> None:
    assert moves(["Backup/old/2009/a.jpg"]) == [("Backup/old/2009", "2009")]


def test_folder_with_files_or_two_subfolders_stays() -> None:
    assert moves(["A/x.jpg", "A/B/y.jpg"]) == []
    assert moves(["A/B/x.jpg", "A/C/y.jpg"]) == []


def test_nested_chains_inside_kept_folders() -> None:
    result = moves(["A/x.jpg", "A/B/C/y.jpg", "D/E/z.jpg", "D/F/w.jpg"])
    assert result == [("A/B/C", "A/C")]


def test_empty_subfolders_do_not_count() -> None:
    assert moves(["A/B/x.jpg"], ["A/empty", "A/B/also-empty"]) == [("A/B", "B")]


def test_name_taken_beside_the_chain_is_left_alone() -> None:
    assert moves(["A/B/x.jpg", "B/y.jpg", "B/z.jpg"]) == []


def test_same_name_chain() -> None:
    assert moves(["Trip/Trip/x.jpg"]) == [("Trip/Trip", "Trip")]


def test_files_at_year_level_do_not_move() -> None:
    assert moves(["x.jpg", "y.jpg"]) == []
