"""Which processor computed a row (csc_core.harness.machine)."""

import time

import pandas as pd

from csc_core.harness.machine import computed_on, describe_cpuinfo, relabel_processors


def test_the_processor_label_names_the_vector_extension():
    """Two generations of one model name round differently: the label tells them apart."""

    def cpuinfo(flags):
        core = f"processor\t: {{}}\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: {flags}\n"
        return "\n".join(core.format(i) for i in range(2))

    assert describe_cpuinfo(cpuinfo("fpu sse2 avx avx2 fma")) == "AMD EPYC (AVX2)"
    assert describe_cpuinfo(cpuinfo("fpu avx2 avx512f avx512bw")) == "AMD EPYC (AVX-512)"
    assert describe_cpuinfo(cpuinfo("fpu sse2")) == "AMD EPYC"
    assert describe_cpuinfo("processor\t: 0\nflags\t: avx2\n") is None  # no model name: platform's answer instead


def test_computed_on_counts_rows_per_processor_and_the_unrecorded():
    rows = pd.DataFrame(
        {"ari": [0.1, 0.2, 0.3, 0.4], "cpu": ["AMD EPYC (AVX2)", "Intel Xeon", "AMD EPYC (AVX2)", None]}
    )
    assert computed_on(rows) == "AMD EPYC (AVX2) (2 rows), Intel Xeon (1 row), not recorded (1 row)"
    assert computed_on(rows.drop(columns="cpu")) == "not recorded (4 rows)"  # tables stored before processors were
    assert computed_on(rows.iloc[0:0]) == "no rows"


def test_labels_stored_before_the_vector_extension_get_todays_names():
    rows = pd.DataFrame({"cpu": ["AMD EPYC", "AMD EPYC (AVX2)", "Intel(R) Xeon(R) Processor", "Other", None]})
    assert list(relabel_processors(rows)["cpu"].fillna("-")) == [
        "AMD EPYC (AVX-512)",
        "AMD EPYC (AVX2)",
        "Intel(R) Xeon(R) Processor (AVX-512)",
        "Other",
        "-",
    ]
    assert list(rows["cpu"].fillna("-"))[0] == "AMD EPYC"  # the caller's table is left as stored
    assert computed_on(rows.iloc[:2]) == "AMD EPYC (AVX-512) (1 row), AMD EPYC (AVX2) (1 row)"
    assert relabel_processors(pd.DataFrame({"ari": [0.5]})).columns.tolist() == ["ari"]


def test_idle_rows_keep_runs_whose_load_did_not_exceed_the_cores():
    import numpy as np
    import pandas as pd

    from csc_core.harness.machine import IDLE_MARGIN, idle_rows

    rows = pd.DataFrame({"seconds": [1, 2, 3, 4], "load_1min": [0.1, 2 + IDLE_MARGIN, 2.6, np.nan]})
    assert list(idle_rows(rows, cores=2)["seconds"]) == [1, 2]  # 2.6: shared; NaN: not recorded
    assert list(idle_rows(rows, cores=4)["seconds"]) == [1, 2, 3]
    assert idle_rows(rows.drop(columns="load_1min"), cores=2).empty  # stored before loads were recorded


def test_idle_rows_leave_out_runs_that_were_starved_of_the_cores_after_they_started():
    import numpy as np
    import pandas as pd

    from csc_core.harness.machine import MIN_CPU_SHARE, idle_rows

    rows = pd.DataFrame(
        {
            "seconds": [1, 2, 3],
            "load_1min": [0.1, 0.1, 0.1],
            "task_seconds": [100.0, 100.0, np.nan],  # the last: stored before CPU seconds were recorded
            "task_cpu_seconds": [150.0, 100.0 * MIN_CPU_SHARE - 1, np.nan],
        }
    )
    assert list(idle_rows(rows, cores=2)["seconds"]) == [1, 3]


def test_idle_rows_leave_out_runs_beside_which_other_work_ran():
    import numpy as np
    import pandas as pd

    from csc_core.harness.machine import OTHER_CPU_MARGIN, idle_rows

    rows = pd.DataFrame(
        {
            "seconds": [1, 2, 3, 4],
            "load_1min": 0.1,
            "workers": [1, 1, 2, np.nan],  # the third shared the machine with a sibling worker (one core of two)
            "task_seconds": 100.0,
            "task_cpu_seconds": 100.0,
            "other_cpu_seconds": [100 * OTHER_CPU_MARGIN - 1, 100.0, 100 * (1 + OTHER_CPU_MARGIN) - 1, np.nan],
        }
    )
    assert list(idle_rows(rows, cores=2)["seconds"]) == [1, 3, 4]


def test_times_are_compared_within_one_worker_count():
    import numpy as np
    import pandas as pd

    from csc_core.harness.machine import one_worker_count

    # a grid begun with one worker and resumed with two: the second count covers more settings
    rows = pd.DataFrame({"n_models": [1, 1, 3, 1, 2, 5, 10], "workers": [1, np.nan, 1, 2, 2, 2, 2]})
    assert list(one_worker_count(rows, "n_models")["n_models"]) == [1, 2, 5, 10]
    # equal coverage: the count with more rows wins
    tied = pd.DataFrame({"n_models": [1, 3, 1, 3, 3], "workers": [2, 2, 1, 1, 1]})
    assert list(one_worker_count(tied, "n_models")["workers"]) == [1, 1, 1]
    assert one_worker_count(rows.drop(columns="workers"), "n_models").equals(rows.drop(columns="workers"))
    assert one_worker_count(rows.iloc[:0], "n_models").empty


def test_the_machine_busy_seconds_grow_while_this_process_computes():
    from csc_core.harness.machine import busy_cpu_seconds

    before, process = busy_cpu_seconds(), time.process_time()
    end = time.perf_counter() + 0.5
    while time.perf_counter() < end:
        pass
    assert busy_cpu_seconds() - before >= 0.5 * (time.process_time() - process) > 0
