/** Injection token of the name of the service an OpsModule serves ('gateway', 'followup', ...). */
export const OPS_SERVICE = Symbol('OPS_SERVICE');
