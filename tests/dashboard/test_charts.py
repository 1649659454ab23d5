from apps.dashboard import charts


def test_a_column_chart_is_a_named_described_image_with_escaped_labels():
    svg = charts.column_chart(
        title="Bookings <per day>",
        desc="3 bookings & more",
        labels=["Mon", "<script>"],
        values=[1, 2],
        value_label="Bookings",
    )

    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert "<title id=" in svg
    assert "Bookings &lt;per day&gt;</title>" in svg
    assert "3 bookings &amp; more</desc>" in svg
    assert "<script>" not in svg
    assert svg.count('class="chart__bar"') == 2
    assert "<title>&lt;script&gt;: 2</title>" in svg  # each column tells its own value


def test_a_line_chart_tells_series_apart_by_marker_dash_and_legend():
    svg = charts.line_chart(
        title="Rates",
        desc="Two lines",
        labels=["1 Jan", "2 Jan", "3 Jan"],
        series=[charts.Series("Cancelled", [10, None, 30]), charts.Series("No-show", [5, 6, 7])],
        value_label="Per cent",
        top=100,
    )

    assert svg.count("<circle") == 2 + 1  # two points and the legend's marker
    assert svg.count("<rect") == 3 + 1  # squares for the second series
    assert 'stroke-dasharray="6 4"' in svg
    assert ">Cancelled</text>" in svg
    assert ">No-show</text>" in svg


def test_a_bar_chart_writes_each_value_beside_its_bar():
    svg = charts.bar_chart(title="Top", desc="Two", labels=["Dr. A", "Dr. B"], values=[4, 2])

    assert svg.count('class="chart__value"') == 2
    assert ">4</text>" in svg


def test_axis_tops_are_round_with_whole_ticks():
    assert [charts.nice_max(v) for v in (0, 3, 6, 10, 380)] == [4, 4, 8, 20, 400]


def test_charts_of_nothing_still_draw():
    assert 'role="img"' in charts.column_chart(
        title="t", desc="d", labels=[], values=[], value_label="v"
    )
    assert 'role="img"' in charts.bar_chart(title="t", desc="d", labels=[], values=[])
