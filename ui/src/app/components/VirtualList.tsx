// Windowed lists: only the rows in view (plus overscan) are in the DOM.
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { anchoredScrollTop, fixedWindow, prefixOffsets, variableWindow } from "../logic";

/** A list of `count` rows of one fixed height. */
export function FixedList(props: {
  count: number;
  rowHeight: number;
  overscan?: number;
  class?: string;
  render: (index: number) => ComponentChildren;
  testid?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setHeight(el.clientHeight || 600);
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const w = fixedWindow(scrollTop, height, props.rowHeight, props.count, props.overscan ?? 6);
  const rows: ComponentChildren[] = [];
  for (let i = w.start; i < w.end; i++) rows.push(props.render(i));
  return (
    <div
      ref={ref}
      class={`vlist ${props.class ?? ""}`}
      data-testid={props.testid}
      onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}
    >
      <div style={{ height: `${w.total}px`, position: "relative" }}>
        <div style={{ transform: `translateY(${w.offset}px)` }}>{rows}</div>
      </div>
    </div>
  );
}

/**
 * A list of rows of varying heights, measured as they render, that starts at the bottom,
 * follows new rows while the reader is at the bottom, keeps the row in view anchored when
 * rows are added above, and calls `onTop` when scrolled near the top.
 */
export function VariableList(props: {
  keys: string[];
  estimate: (index: number) => number;
  render: (index: number) => ComponentChildren;
  onTop?: () => void;
  class?: string;
  resetKey: string;
  bottomSignal?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [, setTick] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const atBottom = useRef(true);
  const anchor = useRef<{ key: string; delta: number } | null>(null);
  const { keys } = props;

  const [version, setVersion] = useState(0);
  const offsets = useMemo(
    () => prefixOffsets(keys.map((k, i) => heights.current.get(k) ?? props.estimate(i))),
    [keys, version],
  );

  useEffect(() => {
    atBottom.current = true;
    anchor.current = null;
  }, [props.resetKey]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setViewport(el.clientHeight || 600);
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // After every render: keep the bottom or the anchor in place.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const total = offsets[offsets.length - 1];
    if (atBottom.current) {
      const target = Math.max(0, total - el.clientHeight);
      if (Math.abs(el.scrollTop - target) > 1) el.scrollTop = target;
    } else if (anchor.current) {
      const top = anchoredScrollTop(keys, offsets, anchor.current.key, anchor.current.delta);
      if (top !== null && Math.abs(el.scrollTop - top) > 1) el.scrollTop = top;
    }
  });

  useEffect(() => {
    if (props.bottomSignal) {
      atBottom.current = true;
      setTick((t) => t + 1);
    }
  }, [props.bottomSignal]);

  const onScroll = (e: Event) => {
    const el = e.currentTarget as HTMLDivElement;
    const top = el.scrollTop;
    atBottom.current = el.scrollHeight - top - el.clientHeight < 24;
    let i = 0;
    let lo = 0;
    let hi = keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid] <= top) {
        i = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    anchor.current = keys.length ? { key: keys[i], delta: top - offsets[i] } : null;
    setScrollTop(top);
    if (top < 200 && props.onTop) props.onTop();
  };

  // Rows report their size; a change re-lays out the list.
  const measureRow = (key: string, el: HTMLElement | null) => {
    if (!el) return;
    const h = el.offsetHeight;
    if (h > 0 && heights.current.get(key) !== h) {
      heights.current.set(key, h);
      setVersion((v) => v + 1);
    }
  };

  const w = variableWindow(offsets, scrollTop, viewport, 6);
  const rows: ComponentChildren[] = [];
  for (let i = w.start; i < w.end; i++) {
    const key = keys[i];
    rows.push(
      <MeasuredRow key={key} rowKey={key} top={offsets[i]} measure={measureRow}>
        {props.render(i)}
      </MeasuredRow>,
    );
  }
  return (
    <div ref={ref} class={`vlist ${props.class ?? ""}`} onScroll={onScroll}>
      <div style={{ height: `${offsets[offsets.length - 1]}px`, position: "relative" }}>{rows}</div>
    </div>
  );
}

function MeasuredRow(props: { rowKey: string; top: number; measure: (k: string, el: HTMLElement | null) => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  const measure = useRef(props.measure);
  measure.current = props.measure;
  useLayoutEffect(() => {
    measure.current(props.rowKey, ref.current);
  });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => measure.current(props.rowKey, el));
    ro.observe(el);
    return () => ro.disconnect();
  }, [props.rowKey]);
  return (
    <div ref={ref} class="vrow" style={{ position: "absolute", left: 0, right: 0, top: `${props.top}px` }}>
      {props.children}
    </div>
  );
}
