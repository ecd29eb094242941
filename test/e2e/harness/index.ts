export * from './cleanup';
export * from './http';
export * from './oci-image';
export * from './registry-pod';
export * from './skopeo';
export * from './swift-server';
export * from './manifests';
export * from './versions';
