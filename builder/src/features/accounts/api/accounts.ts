import { api, unwrap, type Schemas } from "../../../lib/api/client";

export type Account = Schemas["AccountPublic"];
export type HttpAccountCreate = Schemas["HttpAccountCreate"];

const accountPath = (id: string) => ({ params: { path: { account_id: id } } });

export const listAccounts = () => unwrap(api.GET("/accounts"));

/** `returnTo`: the page X's callback sends the browser back to (a path here). */
export const startXAuthorization = (returnTo: string) =>
  unwrap(api.POST("/accounts/x/authorize", { body: { return_to: returnTo } }));

export const connectXTokens = (body: Schemas["XTokensCreate"]) => unwrap(api.POST("/accounts/x/tokens", { body }));

export const connectInstagram = (body: Schemas["InstagramConnect"]) =>
  unwrap(api.POST("/accounts/instagram", { body }));

export const createHttpAccount = (body: HttpAccountCreate) => unwrap(api.POST("/accounts/http", { body }));

export const updateAccount = (id: string, body: Schemas["AccountUpdate"]) =>
  unwrap(api.PATCH("/accounts/{account_id}", { ...accountPath(id), body }));

export const refreshAccount = (id: string) => unwrap(api.POST("/accounts/{account_id}/refresh", accountPath(id)));

export const deleteAccount = (id: string) => unwrap(api.DELETE("/accounts/{account_id}", accountPath(id)));
