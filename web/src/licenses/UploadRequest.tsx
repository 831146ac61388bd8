import { Button, FileInput, Group, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconFileUpload } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { ActivationResult } from "../../../common/src/api/fulfillments";
import { activationsApi, keys } from "../api/endpoints";
import { FormAlert, useApiForm } from "../components/FormErrors";
import { IssuedLicense } from "./ActivateDialog";
import type { PortalKind } from "./words";

interface Values {
  file: File | null;
  shipToEmail: string;
}

/**
 * Offline activation: the activation request file written on an air-gapped machine (by the
 * producer's application, @licensor/verifier) is uploaded here; the license comes back for
 * download, to carry over to that machine.
 */
export function UploadRequestDialog({ portal, onClose }: { portal: PortalKind; onClose: () => void }) {
  const qc = useQueryClient();
  const [result, setResult] = useState<ActivationResult | null>(null);
  const form = useForm<Values>({
    initialValues: { file: null, shipToEmail: "" },
    validate: {
      file: (f) => (!f ? "Choose the request file" : f.size > 200_000 ? "This file is too large for a request file" : null),
    },
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    async (v) =>
      activationsApi.uploadRequest({
        request: await (v.file as File).text(),
        ...(v.shipToEmail.trim() ? { shipToEmail: v.shipToEmail.trim() } : {}),
      }),
    {
      fieldMap: { request: "file" },
      onSuccess: (r) => {
        qc.invalidateQueries({ queryKey: keys.entitlements });
        qc.invalidateQueries({ queryKey: keys.fulfillments });
        setResult(r);
      },
    },
  );
  return (
    <Modal opened onClose={onClose} title="Upload activation request" size="lg" closeOnClickOutside={false}>
      {result ? (
        <Stack>
          <IssuedLicense result={result} portal={portal} />
          <Text size="sm" c="dimmed">
            Carry the license file to the machine that wrote the request.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <Stack>
            <Text size="sm">
              For a machine without a connection: the software writes an activation request file (<code>.req</code>) naming the
              activation ID and the machine's host IDs. Upload it here and download the license it gives.
            </Text>
            <FileInput
              label="Activation request file"
              placeholder="Choose a .req file"
              accept=".req,.txt,.json,text/plain,application/json"
              required
              clearable
              leftSection={<IconFileUpload size={16} />}
              {...form.getInputProps("file")}
            />
            <TextInput
              label="Also email the license to"
              description="Optional, comma-separated addresses."
              {...form.getInputProps("shipToEmail")}
            />
            <FormAlert error={error} onClose={() => setError(null)} />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={pending}>
                Upload and activate
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
