// standalone-main: starts the standalone verifier (quotad-verifier.html): no registry, no fetch;
// the reader supplies the verifier key and the witness policy.
import { initI18n } from './i18n.js';
import { initVerifier } from './verify-ui.js';

initI18n();
initVerifier({ served: false });
