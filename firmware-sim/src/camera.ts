// One simulated home camera: a device-client device (claim, MQTT, heartbeats, commands, stills, WHIP) whose
// lens, radio and thermistor are simulated here: the looping clips for live view, stored stills, a sensor model
// that wanders like real readings, and the household's daily routine for the activity reports. It can be made
// to misbehave the way real cameras do in villages (power cuts, flaky uplinks) through the device's fault methods.
import { createDevice } from "../../device-client/src/device.ts";
import { deviceActivityTopic } from "../../protocol/topics.ts";
import { ActivityMeter, seedFromSerial } from "./activity-meter.ts";
import type { Camera, CameraOptions } from "./camera-types.ts";
import { startCameraStream } from "./media/camera-stream.ts";
import { createSensorModel } from "./sensors.ts";
import { ClipStills } from "./stills.ts";

export * from "./camera-types.ts";

export function createCamera(options: CameraOptions): Camera {
  const { activityReportMin, media, ...deviceOptions } = options;
  const sensors = createSensorModel({ seed: options.serial, random: options.random ?? Math.random });
  const stills = new ClipStills();
  let meter: ActivityMeter | null = null;
  const camera = createDevice({
    ...deviceOptions,
    media: { ...media, startStream: media?.startStream ?? startCameraStream },
    readings: () => sensors.read(),
    takeStill: () => stills.take(),
    lifeHooks: { begin: () => meter?.start(), end: () => meter?.stop() },
  });
  meter = createActivityMeter(camera, activityReportMin ?? 0);
  return camera;
}

/** Movement per minute from the household's simulated routine, reported every few minutes (0: off). */
function createActivityMeter(camera: Camera, reportEveryMin: number): ActivityMeter | null {
  if (reportEveryMin <= 0) return null;
  return new ActivityMeter({
    seed: seedFromSerial(camera.serial),
    reportEveryMin,
    privacy: () => camera.snapshot().privacy,
    measuresInPrivacy: () => camera.activityInPrivacy,
    send: async (report) => {
      const deviceId = camera.snapshot().deviceId;
      if (!deviceId) throw new Error("offline");
      await camera.publishReport(deviceActivityTopic(deviceId), JSON.stringify(report));
    },
  });
}
