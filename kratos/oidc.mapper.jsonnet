// A claims mapper for social sign-in (SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS' mapper_url, e.g.
// "file://kratos/oidc.mapper.jsonnet"), for the built-in identity schema: the e-mail and the name, and the e-mail
// verified when the provider says it is.
local claims = std.extVar('claims');
{
  identity: {
    traits: {
      [if 'email' in claims then 'email' else null]: claims.email,
      [if 'given_name' in claims || 'family_name' in claims then 'name' else null]: {
        [if 'given_name' in claims then 'first' else null]: claims.given_name,
        [if 'family_name' in claims then 'last' else null]: claims.family_name,
      },
    },
    verified_addresses: std.prune([
      if 'email' in claims && std.objectHas(claims, 'email_verified') && claims.email_verified then { via: 'email', value: claims.email },
    ]),
  },
}
