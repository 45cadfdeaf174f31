// Public API of the client-side library.
export { ProjectedTokenFile, TokenFileError, type TokenFileProblem } from './token-file.js';
export { tokenCallCredentials, tokenFileCallCredentials, tokenFileSource, type TokenSource, type TokenCallCredentialsOptions } from './call-credentials.js';
export { channelCredentials, perCallOptions, type TransportOptions } from './channel-credentials.js';
export { gkeMetadataIdentitySource, MetadataServerError, type GkeMetadataIdentityOptions } from './gke-metadata-source.js';
