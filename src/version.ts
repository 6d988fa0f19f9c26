/** cm's version, printed by `cm --version` and recorded in reports. */
export const VERSION = "0.1.0";
