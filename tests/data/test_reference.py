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


def test_paper_timing_holds_the_published_training_line_with_its_source():
    from csc_core.data.reference import paper_timing

    training = paper_timing("training")
    assert list(training["n_cells"]) == [1000, 5000, 10000, 20000, 50000]
    assert list(training["seconds_low"]) == [0.64, 3.4, 7.3, 14.6, 36.0]
    assert (training["seconds_low"] == training["seconds_high"]).all() and (training["n_genes"] == 500).all()
    assert training["source"].str.contains("BMC Bioinformatics 22:280").all()
    (pipeline,) = paper_timing("pipeline per real data set").itertuples()
    assert (pipeline.seconds_low, pipeline.seconds_high) == (5.0, 7.0)
    assert len(paper_timing()) == len(training) + 1
