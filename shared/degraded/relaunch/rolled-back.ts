/** The code a relaunch records when it rolled itself back for want of time; the next trigger tries again (the planner reads it). */
export const ROLLED_BACK_FOR_TIME = 'CutOff';
