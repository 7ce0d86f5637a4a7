from csc_core.data.reference import paper_ari, paper_ari_for, paper_ari_simulated


def test_published_values_cover_the_paper_grid():
    ref = paper_ari()
    assert set(ref["category"]) == {"real", "balanced", "imbalanced"}
    real = paper_ari_for(["worm_neuron_cell", "10X_PBMC_top2000"], ["contrastive-sc"])
    assert dict(zip(real["dataset"], real["ari"], strict=True)) == {
        "worm_neuron_cell": 0.352,
        "10X_PBMC_top2000": 0.627,
    }


def test_simulated_values_are_keyed_like_the_paper_data_sets():
    from csc_core.data.simulate import PAPER_DATASETS

    table = paper_ari_simulated(methods=["contrastive-sc"])
    assert len(paper_ari_simulated("balanced")) == len(paper_ari("balanced"))
    assert set(table["kind"]) == {"balanced", "imbalanced"} and set(table["method"]) == {"contrastive-sc"}
    assert set(zip(table["kind"], table["n_groups"], table["dropout_mid"], strict=True)) <= set(PAPER_DATASETS)
