/**
 * Every island by name: the server renders `<Island name="…">` markers with these
 * names and the browser entry (`client.ts`) hydrates them from the same table.
 * @module
 */
import { EventsTimeline } from "./EventsTimeline.tsx";
import { LogTail } from "./LogTail.tsx";
import { OverviewPods } from "./OverviewPods.tsx";
import { PodDevices } from "./PodDevices.tsx";
import { PodStatus } from "./PodStatus.tsx";
import { PodsTable } from "./PodsTable.tsx";
import { RolloutProgress } from "./RolloutProgress.tsx";

/** Islands by name. */
export const ISLANDS = {
  EventsTimeline,
  LogTail,
  OverviewPods,
  PodDevices,
  PodStatus,
  PodsTable,
  RolloutProgress,
};

/** The name of an island. */
export type IslandName = keyof typeof ISLANDS;
