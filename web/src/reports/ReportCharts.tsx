import "@mantine/charts/styles.css";
import { AreaChart, BarChart } from "@mantine/charts";
import type { ReportPeriod } from "../api/reports";

/**
 * The charts of reports, in their own module: recharts is a large download, fetched only by the
 * pages that draw one (and never by the public redeem page).
 */

const label = (p: ReportPeriod, interval: string) => (interval === "month" ? p.start.slice(0, 7) : p.start.slice(5));

/** Keys held, redeemed so far and unredeemed at the end of each period. */
export function KeysOverTimeChart({ series, interval }: { series: ReportPeriod[]; interval: string }) {
  const data = series.map((p) => ({
    period: label(p, interval),
    Keys: p.keys,
    Redeemed: p.redeemedTotal,
    Unredeemed: p.unredeemed,
  }));
  return (
    <AreaChart
      h={260}
      data={data}
      dataKey="period"
      curveType="linear"
      withLegend
      legendProps={{ verticalAlign: "bottom" }}
      series={[
        { name: "Keys", color: "indigo.6" },
        { name: "Redeemed", color: "teal.6" },
        { name: "Unredeemed", color: "orange.5" },
      ]}
      aria-label="Keys over time"
    />
  );
}

/** Keys loaded, received and redeemed in each period. */
export function ActivityChart({ series, interval }: { series: ReportPeriod[]; interval: string }) {
  const data = series.map((p) => ({ period: label(p, interval), Loaded: p.loaded + p.received, Redeemed: p.redeemed }));
  return (
    <BarChart
      h={200}
      data={data}
      dataKey="period"
      withLegend
      legendProps={{ verticalAlign: "bottom" }}
      series={[
        { name: "Loaded", color: "indigo.4", label: "Loaded or received" },
        { name: "Redeemed", color: "teal.6" },
      ]}
      aria-label="Keys loaded and redeemed per period"
    />
  );
}

/** Keys redeemed per day (the producer's home page). */
export function RedemptionsPerDayChart({ days }: { days: { day: string; redeemed: number }[] }) {
  return (
    <BarChart
      h={180}
      data={days.map((d) => ({ day: d.day.slice(5), Redeemed: d.redeemed }))}
      dataKey="day"
      series={[{ name: "Redeemed", color: "teal.6" }]}
      aria-label="Keys redeemed per day, last 30 days"
    />
  );
}
