// The elder's consent, as one rule every part applies the same way.

/**
 * Privacy mode the elder chose: switched on at the camera (its button), or by declining a call home, until the
 * time the household set. Only the elder ends it (the button again), or that time running out; nobody remotely.
 */
export function elderHoldsPrivacy(device: {
  privacy: boolean;
  privacyByElder: boolean;
  privacyUntil: Date | null;
}): boolean {
  return device.privacy && (device.privacyByElder || device.privacyUntil !== null);
}
