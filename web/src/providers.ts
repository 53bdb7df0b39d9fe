// How the endpoint form shows each provider. The shape of the form (fixed or listed URLs,
// fixed Access IDs, file secrets) comes from /replication/adapterinfos; this file only
// holds the words: display names and the hints shown under the credential fields.
import type { ProviderInfo } from './api';

const kNames: Record<string, string> = {
  'ali-acr': 'Alibaba ACR',
  'aws-ecr': 'AWS ECR',
  'azure-acr': 'Azure ACR',
  'docker-hub': 'Docker Hub',
  'docker-registry': 'Docker Registry',
  'github-ghcr': 'Github GHCR',
  gitlab: 'GitLab',
  'google-gcr': 'Google GCR',
  harbor: 'Harbor',
  'huawei-SWR': 'Huawei SWR',
  'jfrog-artifactory': 'JFrog Artifactory',
  quay: 'Quay',
};

export function providerName(type: string | undefined): string {
  if (!type) return '';
  return kNames[type] ?? type;
}

export interface CredentialHints {
  accessId?: string;
  accessSecret?: string;
}

const kHints: Record<string, CredentialHints> = {
  'aws-ecr': {
    accessId: 'The access key ID of an IAM user (AKIA…).',
    accessSecret: 'The secret access key that belongs to that access key ID.',
  },
  'ali-acr': {
    accessId: 'An AccessKey ID of your Alibaba Cloud account or RAM user.',
    accessSecret: 'The AccessKey secret that belongs to that AccessKey ID.',
  },
  'azure-acr': {
    accessId: 'The registry user name, or the application ID of a service principal.',
    accessSecret: 'The registry password, or the service principal secret.',
  },
  'google-gcr': {
    accessSecret:
      'The JSON key of a service account with access to the registry: paste the whole key file or upload it.',
  },
  quay: {
    accessSecret:
      'A JSON object: {"account_name": "<user or robot>", "docker_cli_password": "<password or token>", ' +
      '"oauth2_token": "<OAuth 2 token, optional>"}. Paste it or upload a file.',
  },
  'docker-hub': {
    accessId: 'Your Docker Hub user name.',
    accessSecret: 'Your Docker Hub password or a personal access token.',
  },
  'github-ghcr': {
    accessId: 'Your GitHub user name.',
    accessSecret: 'A personal access token with the read:packages (and write:packages) scope.',
  },
  gitlab: {
    accessId: 'Your GitLab user name.',
    accessSecret: 'A personal or deploy token with registry access.',
  },
  harbor: {
    accessId: 'A Harbor user or robot account name.',
    accessSecret: 'Its password or robot secret.',
  },
  'huawei-SWR': {
    accessId: 'The login user name of the SWR region (for example cn-north-4@AK).',
    accessSecret: 'The login key for that user name.',
  },
};

export function credentialHints(type: string | undefined): CredentialHints {
  return (type && kHints[type]) || {};
}

export type UrlMode = 'free' | 'fixed' | 'list';

export interface FormShape {
  urlMode: UrlMode;
  urls: { key: string; value: string }[];
  fixedAccessId?: string; // pre-filled and locked
  fileSecret: boolean; // a text area that also accepts a file
}

// The endpoint form for `info` (an unknown or absent pattern is a free form).
export function formShape(info: ProviderInfo | undefined): FormShape {
  const pattern = info?.endpoint_pattern;
  const urls = pattern?.endpoints ?? [];
  let urlMode: UrlMode = 'free';
  if (pattern?.endpoint_type === 'EndpointPatternTypeFix' && urls.length > 0) urlMode = 'fixed';
  if (pattern?.endpoint_type === 'EndpointPatternTypeList' && urls.length > 0) urlMode = 'list';
  const credential = info?.credential_pattern;
  return {
    urlMode,
    urls,
    fixedAccessId: credential?.access_key_type === 'AccessKeyTypeFix' ? credential.access_key_data : undefined,
    fileSecret: credential?.access_secret_type === 'AccessSecretTypeFile',
  };
}
